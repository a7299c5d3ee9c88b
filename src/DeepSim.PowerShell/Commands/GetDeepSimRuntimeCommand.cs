using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Runtime;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Shows the native runtime DeepSim computes with (TorchSharp, libtorch, threads) and checks that it works.</para>
/// <para type="description">Get-DeepSimRuntime loads libtorch if it is not loaded yet, runs a small tensor computation (the sum of 1..100, which must be 5050) and reports the TorchSharp version, the folder the native libraries load from, the number of intra-op threads and the OMP_WAIT_POLICY that libgomp sees (DeepSim sets PASSIVE before libtorch loads unless you set a policy yourself, because spinning OpenMP threads can stall training on small virtual machines). ScoringCheck shows which plan learned-metric search-window scoring uses in this process and what its self-check found: the fast plans are compared with the per-candidate reference on this machine (about a second, once per process), and the fastest plan that matches is used; a plan found wrong is never used.</para>
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
        WriteObject(RuntimeInfo.Probe() with { ScoringCheck = ScoringSelfCheck.Current });
        if (ScoringSelfCheck.TakeWarning() is { } warning)
        {
            WriteWarning(warning);
        }
    }
}
