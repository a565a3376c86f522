using System.Net;
using System.Net.Sockets;

namespace Recorder.Testing;

/// <summary>A loopback port nobody listens on: what a stopped server looks like to a client.</summary>
public static class ClosedPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
