using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Runtime;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Shows the native runtime DeepSim computes with (TorchSharp, libtorch, threads) and checks that it works.</para>
/// <para type="description">Get-DeepSimRuntime loads libtorch if it is not loaded yet, runs a small tensor computation (the sum of 1..100, which must be 5050) and reports the TorchSharp version, the folder the native libraries load from, the number of intra-op threads this runspace computes with (Threads; ThreadLimit is the runspace's explicit cap from $DeepSimThreadLimit; without one, Threads is libtorch's own default, ProcessDefaultThreads, while this is the only runspace of the process running DeepSim commands, and max(1, ProcessorCount / N) while N runspaces do, e.g. under ForEach-Object -Parallel or Start-ThreadJob; ActiveRunspaces is that N) and the OMP_WAIT_POLICY that libgomp sees (DeepSim sets PASSIVE before libtorch loads unless you set a policy yourself, because spinning OpenMP threads can stall training on small virtual machines). ScoringCheck shows which plan learned-metric search-window scoring uses in this process and what its self-check found: the fast plans are compared with the per-candidate reference on this machine (about a second, once per process), and the fastest plan that matches is used; a plan found wrong is never used.</para>
/// </summary>
/// <example>
/// <code>Get-DeepSimRuntime</code>
/// <para>Shows the runtime; ProbeResult is 5050 when libtorch computes correctly.</para>
/// </example>
/// <example>
/// <code>if ((Get-DeepSimRuntime).ProbeResult -ne 5050) { throw 'libtorch does not work on this machine' }</code>
/// <para>A smoke test for a deployment script or a CI job.</para>
/// </example>
/// <example>
/// <code>1..2 | ForEach-Object -Parallel { Import-Module DeepSim; $DeepSimThreadLimit = 2; (Get-DeepSimRuntime).Threads } -ThrottleLimit 2</code>
/// <para>Gives each of two parallel runspaces two libtorch threads instead of the automatic share (ProcessorCount / 2 while both compute).</para>
/// </example>
/// <example>
/// <code>(Get-DeepSimRuntime).ScoringCheck.Findings</code>
/// <para>Lists what the learned-metric scoring self-check measured for each plan on this machine, e.g. "Convolution: max relative difference from the reference 3.1E-07 (equal)".</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DeepSimRuntime")]
[OutputType(typeof(RuntimeInfo))]
public sealed class GetDeepSimRuntimeCommand : DeepSimCmdlet
{
    /// <summary>Runs a small tensor computation and the scoring self-check and reports both.</summary>
    protected override void EndProcessing()
    {
        try
        {
            WriteObject(RuntimeInfo.Probe() with { ScoringCheck = ScoringSelfCheck.Current });
        }
        catch (TorchRuntimeUnavailableException e)
        {
            ThrowTorchUnavailable(e);
        }

        if (ScoringSelfCheck.TakeWarning() is { } warning)
        {
            WriteWarning(warning);
        }
    }
}
