using System.Diagnostics;
using Xunit;

namespace DeepSim.Tests;

/// <summary>
/// Runs Debian's /usr/bin/python3 with reference modules (nibabel, PIL, NumPy, scikit-image, scikit-learn) as a test
/// oracle. Skips with a reason when they are missing; fails under CI=true, where they are installed.
/// </summary>
public static class PythonOracle
{
    public const string Interpreter = "/usr/bin/python3";

    public static void Require(params string[] modules)
    {
        var reason = Missing(modules);
        if (reason is null)
        {
            return;
        }

        if (TestData.InCi)
        {
            Assert.Fail("CI must have the reference tools: " + reason);
        }

        Skip.If(true, reason);
    }

    /// <summary>Checks the modules (see <see cref="Require"/>), then runs the script.</summary>
    public static string RunWith(IReadOnlyList<string> modules, string script, params string[] arguments)
    {
        Require([.. modules]);
        return Run(script, arguments);
    }

    public static string Run(string script, params string[] arguments)
    {
        var scriptPath = Path.Combine(Path.GetTempPath(), $"deepsim-oracle-{Guid.NewGuid():N}.py");
        File.WriteAllText(scriptPath, script);
        try
        {
            var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(scriptPath);
            foreach (var a in arguments)
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"python3 failed ({process.ExitCode}): {stderr.Result}");
            return stdout.Result;
        }
        finally
        {
            File.Delete(scriptPath);
        }
    }

    private static string? Missing(string[] modules)
    {
        if (!File.Exists(Interpreter))
        {
            return $"{Interpreter} not found (install python3 with {string.Join(", ", modules)}).";
        }

        try
        {
            var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import " + string.Join(", ", modules));
            using var process = Process.Start(psi)!;
            var err = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"{Interpreter} lacks a reference module ({string.Join(", ", modules)}; apt-get install python3-skimage python3-sklearn): {err.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Interpreter} cannot start: {e.Message}";
        }
    }
}
