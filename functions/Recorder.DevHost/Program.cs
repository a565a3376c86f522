using Recorder.DevHost;

// Runs the Functions app locally without Core Tools (which cannot be installed here): see DevHostApp.
WebApplication app;
try
{
    app = DevHostApp.Build(args);
}
catch (DevHostStartupException exception)
{
    // A setting or function to fix, not a crash: the message says what, a stack trace would bury it.
    Console.Error.WriteLine(exception.Message);
    return 1;
}
app.Run();
return 0;
