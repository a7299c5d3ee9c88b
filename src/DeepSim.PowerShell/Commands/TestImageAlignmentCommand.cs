using System.Management.Automation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Registration;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Says whether a fixed/moving pair is aligned: the rigid misalignment in mm and degrees, a confidence, and Aligned true/false against a tolerance.</para>
/// <para type="description">Test-ImageAlignment registers the moving image rigidly to the fixed one in their stored physical frames (no centring: a pair stored aligned gives the identity) with any metric (a built-in name or a SimilarityModel), and returns an AlignmentVerdict: TranslationMm (displacement of the fixed image's centre), RotationDegrees, MaxDisplacementMm (the largest displacement over the fixed image's foreground, the voxels brighter than its mean), Confidence and Aligned (MaxDisplacementMm &lt;= -Tolerance). The registration runs from -Restarts starts (the identity, then 2 x tolerance away in opposite directions, each with its own sampling seed); the estimate is the start that agrees best with the others, which removes the occasional stochastic outlier, and Confidence is exp(-d / tolerance) x overlap, d the median of the other starts' largest disagreement with it (RestartDisagreementsMm). NCC, LCC and MSE assume a linear relation between the intensities (one modality): their confidence is further multiplied by the squared correlation of the pair at the estimate, and below 0.5 the verdict carries a warning, because on CT/MR they give confident-looking but wrong answers; use MI or NMI there. Pairs come from the pipeline (Import-ImagePair) or as -Fixed and -Moving. Choose -Tolerance above what "aligned" means for your data: registrations of real CT/MR slices disagree with each other by 1-2 mm (bench/alignment/RESULTS.md). The verdict's property names are stable for scripts and Pester assertions.</para>
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
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    #region Parameters

    /// <summary>The largest displacement (mm) still called aligned. Default 1.</summary>
    [Parameter]
    [ValidateRange(1e-6, 1e6)]
    public double Tolerance { get; set; } = 1;

    /// <summary>Starts of the registration (the identity and offsets of 2 x tolerance in opposite directions); the estimate is their consensus. Default 3; 1 is a third of the time without the protection against an outlier and with Confidence from the overlap alone.</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int Restarts { get; set; } = AlignmentCheck.DefaultRestarts;

    #endregion

    #region Overrides

    /// <summary>Checks one pair.</summary>
    protected override void ProcessRecord()
    {
        var activity = $"Test-ImageAlignment {Moving.Name} -> {Fixed.Name}";
        try
        {
            var verdict = RunWithProgress<RegistrationProgress, AlignmentVerdict>(
                (progress, token) => AlignmentCheck.Test(Fixed, Moving, ResolvedMetric, Tolerance, BaseOptions(), progress, token, Restarts),
                p => Describe(activity, p));
            WriteVerbose(verdict.ToString());
            if (verdict.Warnings.Count > 0 && _warned.Add(verdict.Metric))
            {
                // Once per metric and call (the verdicts keep theirs), so that an archive of pairs is not a wall of warnings.
                foreach (var w in verdict.Warnings)
                {
                    WriteWarning($"{Moving.Name}: {w}");
                }
            }

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
