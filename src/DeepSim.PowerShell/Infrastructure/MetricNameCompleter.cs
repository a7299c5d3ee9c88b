using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DeepSim.Similarity;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Completes -Metric with the built-in measure names.</summary>
public sealed class MetricNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        foreach (var name in MetricRegistry.Names)
        {
            if (name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, Describe(name));
            }
        }
    }

    private static string Describe(string name) => name switch
    {
        "NMI" => "Normalised mutual information (Studholme): (H(A)+H(B))/H(A,B)",
        "MI" => "Mutual information, in nats",
        "NCC" => "Normalised cross correlation of the two patches",
        "LCC" => "Local cross correlation: mean of local correlations over small windows",
        "CorrelationRatio" => "Correlation ratio eta^2",
        _ => name,
    };
}
