using System.Reflection;

namespace Recorder.Testing;

/// <summary>
/// Where the real services and the repository are. scripts/test.sh starts PostgreSQL and Azurite
/// and exports their addresses; a test run without them fails loudly rather than skipping.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresAdminConnectionString => Required("RECORDER_TEST_PG_ADMIN");

    public static string StorageConnectionString => Required("RECORDER_TEST_STORAGE");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string MigrationsDirectory => Path.Combine(RepositoryRoot, "migrations");

    /// <summary>A committed media sample of tests/fixtures/media (see its README for how each was made).</summary>
    public static string MediaFixture(string name) => Path.Combine(RepositoryRoot, "tests", "fixtures", "media", name);

    /// <summary>The build configuration these tests were compiled in (Debug/Release), to find sibling outputs.</summary>
    public static string Configuration { get; } =
        typeof(TestEnvironment).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The build output folder of a project under functions/.</summary>
    public static string ProjectOutput(string project)
        => Path.Combine(RepositoryRoot, "functions", project, "bin", Configuration, "net10.0");

    private static string Required(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidOperationException($"{name} is not set. Run the tests with scripts/test.sh, which starts PostgreSQL and Azurite and sets it.")
            : value;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Recorder.Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Recorder.Functions.sln above {AppContext.BaseDirectory}.");
    }
}
