using System.Diagnostics;
using System.Globalization;
using DeepSim.Imaging.Formats;
using DeepSim.Registration;
using Xunit;

namespace DeepSim.Tests.Registration;

/// <summary>elastix, run live as the peer on a small 2D case: both must recover a known rigid transform.</summary>
public class ElastixPeerTests
{
    [SkippableFact]
    public void ElastixAndDeepSimRecoverTheSameKnownRigidTransform()
    {
        var elastix = FindOnPath("elastix");
        if (elastix is null)
        {
            var reason = "elastix is not installed (Debian package 'elastix'; .ci/run installs it).";
            if (TestData.InCi)
            {
                Assert.Fail("CI must have elastix: " + reason);
            }

            Skip.If(true, reason);
        }

        var fixedImage = RegistrationTestImages.Blobs2D(128);
        var truth = new Euler2DTransform(7 * Math.PI / 180, [5, -6], ImageRegistration.Center(fixedImage));
        var moving = RegistrationTestImages.Warp(fixedImage, truth, v => 150 - v);
        var dir = Directory.CreateTempSubdirectory("deepsim-elastix-");
        try
        {
            var f = Path.Combine(dir.FullName, "fixed.mha");
            var m = Path.Combine(dir.FullName, "moving.mha");
            MetaImageWriter.Write(fixedImage, f);
            MetaImageWriter.Write(moving, m);
            var parameters = Path.Combine(TestData.RepositoryRoot(), "bench", "registration", "elastix", "rigid-mi.txt");
            var psi = new ProcessStartInfo(elastix!) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-f", f, "-m", m, "-p", parameters, "-out", dir.FullName, "-threads", "1" })
            {
                psi.ArgumentList.Add(a);
            }

            using (var process = Process.Start(psi)!)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                Assert.True(process.WaitForExit(120_000), "elastix did not finish within 2 minutes");
                Assert.True(process.ExitCode == 0, $"elastix failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
            }

            var peer = ReadElastixEuler2D(Path.Combine(dir.FullName, "TransformParameters.0.txt"));
            var ours = ImageRegistration.Register(fixedImage, moving, RegistrationMetrics.Create("MI"), new RegistrationOptions { Seed = 1 }).Transform;
            foreach (var p in AlignmentCheck.ForegroundCorners(fixedImage))
            {
                Assert.True(Distance(truth.TransformPoint(p), peer.TransformPoint(p)) < 0.5, $"elastix: {peer} vs truth {truth}");
                Assert.True(Distance(truth.TransformPoint(p), ours.TransformPoint(p)) < 0.5, $"DeepSim: {ours} vs truth {truth}");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>elastix's EulerTransform result (2D): TransformParameters (angle, tx, ty) and CenterOfRotationPoint.</summary>
    internal static Euler2DTransform ReadElastixEuler2D(string path)
    {
        double[] Values(string key)
        {
            var line = File.ReadLines(path).First(l => l.StartsWith("(" + key + " ", StringComparison.Ordinal));
            return [.. line[(key.Length + 2)..].TrimEnd(')').Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
        }

        var p = Values("TransformParameters");
        return new Euler2DTransform(p[0], [p[1], p[2]], Values("CenterOfRotationPoint"));
    }

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
