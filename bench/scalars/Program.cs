using System.Diagnostics;
using DeepSim.Runtime;
using static TorchSharp.torch;

// The TorchSharp 0.107 temporary-scalar race, provoked on purpose: one thread adds two small tensors in a loop, once as
// `a + b` (TorchSharp makes the alpha = 1 Scalar inside and drops it before the native call returns) and once as
// `a.add(b, HeldScalars.One)` (DeepSim's form); another thread forces garbage collections and runs finalizers all the
// time. Counts the calls that fail and the sums that come out wrong. Arguments: seconds per form (default 20).
var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20;
TorchRuntime.EnsureInitialized();
Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per form");

foreach (var (name, held) in new[] { ("a + b (TorchSharp's temporary alpha)", false), ("a.add(b, HeldScalars.One)", true) })
{
    using var a = ones(4);
    using var b = ones(4);
    var stop = false;
    var collector = new Thread(() =>
    {
        while (!Volatile.Read(ref stop))
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    });
    collector.Start();
    long calls = 0, failures = 0, wrong = 0;
    var firstError = string.Empty;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                using var sum = held ? a.add(b, HeldScalars.One) : a + b;
                if (sum[0].item<float>() != 2f)
                {
                    wrong++;
                }
            }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException or ArgumentException)
            {
                failures++;
                if (firstError.Length == 0)
                {
                    firstError = e.Message.Split('\n')[0];
                }
            }

            calls++;
        }
    }

    Volatile.Write(ref stop, true);
    collector.Join();
    Console.WriteLine($"{name}: {calls} calls, {failures} failed, {wrong} wrong sums{(firstError.Length > 0 ? $" (first: {firstError})" : string.Empty)}");
}
