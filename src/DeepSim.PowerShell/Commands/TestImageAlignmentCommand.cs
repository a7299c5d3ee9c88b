using System.Management.Automation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Says whether a fixed/moving pair is aligned: the rigid misalignment in mm and degrees, a confidence, and Aligned true/false against a tolerance.</para>
/// <para type="description">Test-ImageAlignment registers the moving image rigidly to the fixed one in their stored physical frames (no centring: a pair stored aligned gives the identity) with any metric (a built-in name or a SimilarityModel), and returns an AlignmentVerdict: TranslationMm (displacement of the fixed image's centre), RotationDegrees, MaxDisplacementMm (the largest displacement of the corners of the fixed image's foreground bounding box), Confidence (0..1: a second registration started 2 x tolerance away must reach the same estimate; exp(-disagreement / tolerance) x overlap) and Aligned (MaxDisplacementMm &lt;= -Tolerance). Pairs come from the pipeline (Import-ImagePair) or as -Fixed and -Moving. The verdict's property names are stable for scripts and Pester assertions.</para>
/// </summary>
/// <example>
/// <code>Import-ImagePair -FixedPath ./CT -MovingPath ./MR | Test-ImageAlignment -Tolerance 1 | Where-Object { -not $_.Aligned }</code>
/// <para>Lists the CT/MR pairs of an archive that are misaligned by more than 1 mm.</para>
/// </example>
/// <example>
/// <code>Test-ImageAlignment -Fixed $ct -Moving $mr -Metric $model -Tolerance 2 | Format-List Aligned, MaxDisplacementMm, TranslationMm, RotationDegrees, Confidence</code>
/// <para>Checks one pair with a learned metric.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "ImageAlignment")]
[OutputType(typeof(AlignmentVerdict))]
public sealed class TestImageAlignmentCommand : RegistrationCmdlet
{
    #region Parameters

    /// <summary>The largest displacement (mm) still called aligned. Default 1.</summary>
    [Parameter]
    [ValidateRange(1e-6, 1e6)]
    public double Tolerance { get; set; } = 1;

    #endregion

    #region Overrides

    /// <summary>Checks one pair.</summary>
    protected override void ProcessRecord()
    {
        var activity = $"Test-ImageAlignment {Moving.Name} -> {Fixed.Name}";
        try
        {
            var verdict = RunWithProgress<RegistrationProgress, AlignmentVerdict>(
                (progress, token) => AlignmentCheck.Test(Fixed, Moving, ResolvedMetric, Tolerance, BaseOptions(), progress, token),
                p => Describe(activity, p));
            WriteVerbose(verdict.ToString());
            WriteObject(verdict);
        }
        catch (RegistrationException e)
        {
            WriteRegistrationError(e);
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorIds.InvalidRegistrationSettings, ErrorCategory.InvalidArgument, Moving, e.Message, e);
        }
        finally
        {
            CompleteProgress(activity);
        }
    }

    #endregion
}
