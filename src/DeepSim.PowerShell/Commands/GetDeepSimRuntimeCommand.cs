using System.Management.Automation;
using DeepSim.Runtime;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Shows the native runtime DeepSim computes with, and checks that it works.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "DeepSimRuntime")]
[OutputType(typeof(RuntimeInfo))]
public sealed class GetDeepSimRuntimeCommand : PSCmdlet
{
    /// <summary>Runs a small tensor computation and reports its result.</summary>
    protected override void EndProcessing() => WriteObject(RuntimeInfo.Probe());
}
