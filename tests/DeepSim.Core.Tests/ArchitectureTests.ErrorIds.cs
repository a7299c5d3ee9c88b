using System.Text.RegularExpressions;
using Xunit;

namespace DeepSim.Tests;

/// <summary>
/// The ErrorId catalogue (src/DeepSim.PowerShell/Infrastructure/ErrorIds.cs) as a guarantee: no cmdlet passes an
/// ErrorId as a string literal, so every id a user can match is spelt once, in the catalogue. Reads the cmdlets'
/// source (comments stripped, string literals kept), so an id another branch adds as a literal fails here.
/// </summary>
public partial class ArchitectureTests
{
    /// <summary>Methods that take an ErrorId, and which of their arguments are ids (0-based), with the fewest arguments a call has.</summary>
    private static readonly (string Method, int[] IdArguments, int MinArguments)[] ErrorIdParameters =
    [
        ("WriteError", [0], 3),
        ("ThrowTerminating", [0], 3),
        ("WriteIoError", [0], 3),
        ("ThrowIoError", [0], 3),
        ("WriteRefusal", [0, 1], 3),
        ("ResolveExistingPaths", [1], 2),
        ("Train", [4], 6),
        ("new ErrorRecord", [1], 4),
    ];

    [Fact]
    public void NoCmdletPassesAnErrorIdAsAStringLiteral()
    {
        var powerShell = Path.Combine(Path.GetDirectoryName(CoreFolder())!, "DeepSim.PowerShell");
        var problems = new List<string>();
        var files = 0;
        foreach (var file in Directory.EnumerateFiles(powerShell, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(powerShell, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal) || relative == "Infrastructure/ErrorIds.cs")
            {
                continue;
            }

            files++;
            problems.AddRange(LiteralErrorIds(File.ReadAllText(file)).Select(p => $"{relative}: {p}; add the id to ErrorIds and use the constant."));
        }

        Assert.True(files > 20, $"Only {files} cmdlet source files found under {powerShell}.");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void TheErrorIdCheckSeesLiteralsInEveryPlaceAnIdIsPassed()
    {
        const string code = """
            WriteError("LiteralOne", ErrorCategory.InvalidData, x, $"a {F(1, "b")} message", e);
            ThrowTerminating(
                "LiteralTwo",
                ErrorCategory.InvalidArgument, x, "msg");
            var r = new ErrorRecord(e, "LiteralThree", ErrorCategory.ReadError, x);
            var (id, category) = kind switch { A => ("LiteralFour", ErrorCategory.ReadError), _ => (ErrorIds.Fine, ErrorCategory.ReadError) };
            WriteRefusal(ErrorIds.AReadOnly, prefix + "NotARegularFile", e);
            ResolveExistingPaths(input, "LiteralSix", literal);
            WriteError(ErrorIds.Fine, ErrorCategory.InvalidData, "a target", "a message with (parentheses, commas)", e);
            WriteError(record);
            // WriteError("InAComment", ErrorCategory.InvalidData, x, "m");
            var model = Train("activity", (p, t) => Trainer.Train(a, b), p => 1, 2, "LiteralSeven", target);
            """;
        var found = LiteralErrorIds(code).ToList();
        Assert.Equal(7, found.Count);
        foreach (var expected in new[] { "LiteralOne", "LiteralTwo", "LiteralThree", "LiteralFour", "NotARegularFile", "LiteralSix", "LiteralSeven" })
        {
            Assert.Contains(found, f => f.Contains(expected, StringComparison.Ordinal));
        }
    }

    /// <summary>The places in <paramref name="code"/> that pass an ErrorId containing a string literal.</summary>
    private static IEnumerable<string> LiteralErrorIds(string code)
    {
        code = CommentPattern().Replace(code, m => m.Value.StartsWith('/') ? " " : m.Value);
        foreach (var (method, ids, min) in ErrorIdParameters)
        {
            var pattern = method.StartsWith("new ", StringComparison.Ordinal)
                ? @"\bnew\s+" + Regex.Escape(method[4..]) + @"\s*\("
                : @"(?<![\w.])" + Regex.Escape(method) + @"\s*\(";
            foreach (Match m in Regex.Matches(code, pattern))
            {
                var arguments = Arguments(code, m.Index + m.Length - 1);
                if (arguments.Count < min)
                {
                    continue;
                }

                foreach (var i in ids.Where(i => i < arguments.Count && StringLiteral().IsMatch(arguments[i])))
                {
                    yield return $"{method}(...) passes {arguments[i].Trim()} as its ErrorId";
                }
            }
        }

        foreach (Match m in IdCategoryPair().Matches(code))
        {
            yield return $"{m.Groups[1].Value} is paired with an ErrorCategory as an ErrorId";
        }
    }

    /// <summary>The top-level arguments of the call whose '(' is at <paramref name="open"/>; string literals are kept whole.</summary>
    private static List<string> Arguments(string code, int open)
    {
        var arguments = new List<string>();
        var start = open + 1;
        var depth = 0;
        for (var i = open; i < code.Length; i++)
        {
            var c = code[i];
            if (c == '"' || (c is '$' or '@' && i + 1 < code.Length && code[i + 1] == '"'))
            {
                i = SkipString(code, i) - 1;
                continue;
            }

            if (c == '\'')
            {
                i = code.IndexOf('\'', i + (code[i + 1] == '\\' ? 3 : 2));
                continue;
            }

            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth--;
                if (depth == 0)
                {
                    arguments.Add(code[start..i]);
                    return arguments;
                }
            }
            else if (c == ',' && depth == 1)
            {
                arguments.Add(code[start..i]);
                start = i + 1;
            }
        }

        return arguments;
    }

    /// <summary>The index just after the string literal (regular, verbatim or interpolated) that starts at <paramref name="at"/>.</summary>
    private static int SkipString(string code, int at)
    {
        var interpolated = false;
        var verbatim = false;
        while (code[at] != '"')
        {
            interpolated |= code[at] == '$';
            verbatim |= code[at] == '@';
            at++;
        }

        for (var i = at + 1; i < code.Length; i++)
        {
            var c = code[i];
            if (!verbatim && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                if (verbatim && i + 1 < code.Length && code[i + 1] == '"')
                {
                    i++;
                    continue;
                }

                return i + 1;
            }
            else if (interpolated && c == '{')
            {
                if (code[i + 1] == '{')
                {
                    i++;
                    continue;
                }

                // An interpolation hole: skip it as code, strings and nested braces included.
                var depth = 1;
                for (i++; i < code.Length && depth > 0; i++)
                {
                    if (code[i] == '"' || (code[i] is '$' or '@' && code[i + 1] == '"'))
                    {
                        i = SkipString(code, i) - 1;
                    }
                    else if (code[i] == '{')
                    {
                        depth++;
                    }
                    else if (code[i] == '}')
                    {
                        depth--;
                    }
                }

                i--;
            }
        }

        return code.Length;
    }

    [GeneratedRegex(@"(?<![\w])[$@]*""")]
    private static partial Regex StringLiteral();

    /// <summary>A tuple (not a call: no name before the parenthesis) of a string literal and an ErrorCategory, as in a switch that picks an id.</summary>
    [GeneratedRegex(@"(?<!\w\s*)\(\s*(\$?@?""[^""]*"")\s*,\s*ErrorCategory\.")]
    private static partial Regex IdCategoryPair();
}
