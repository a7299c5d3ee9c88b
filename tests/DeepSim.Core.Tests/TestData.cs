using System.Runtime.CompilerServices;
using Xunit;

namespace DeepSim.Tests;

/// <summary>
/// Locates ../shared/data. When it is absent, tests that need it skip with a stated reason;
/// under CI (CI=true) they fail instead, because CI always has it.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The shared data folder, or null.</summary>
    public static string? RootOrNull => Root.Value;

    /// <summary>True when running in CI.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Path of a file or folder under shared/data; skips (or fails in CI) when absent.</summary>
    public static string Require(string relative)
    {
        var root = Root.Value;
        var path = root is null ? null : Path.Combine(root, relative);
        if (path is null || (!File.Exists(path) && !Directory.Exists(path)))
        {
            var reason = $"shared data '{relative}' not found (looked for ../shared/data above the repository; set DEEPSIM_DATA to point elsewhere).";
            if (InCi)
            {
                Assert.Fail("CI must have the shared data: " + reason);
            }

            Skip.If(true, reason);
        }

        return path!;
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("DEEPSIM_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        var dir = new DirectoryInfo(RepositoryRoot());
        var candidate = Path.Combine(dir.Parent?.FullName ?? dir.FullName, "shared", "data");
        return Directory.Exists(candidate) ? candidate : null;
    }

    /// <summary>The repository root (the folder holding DeepSim.sln).</summary>
    public static string RepositoryRoot([CallerFilePath] string callerFile = "")
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is not null)
        {
            return dir.FullName;
        }

        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerFile)!, "..", ".."));
    }
}
