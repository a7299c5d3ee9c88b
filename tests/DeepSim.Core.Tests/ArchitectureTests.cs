using System.Text.RegularExpressions;
using Xunit;

namespace DeepSim.Tests;

/// <summary>
/// docs/ARCHITECTURE.md as a guarantee: each folder of src/DeepSim.Core is one namespace and uses only the folders
/// the plan lets it use; the native and drawing libraries stay in their folders; the core never sees PowerShell.
/// Reads the source (comments stripped), so a folder another branch adds is checked as soon as it exists.
/// </summary>
public partial class ArchitectureTests
{
    /// <summary>Folder -> the folders it may use. A folder missing here fails the test: add it to the plan first.</summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["IO"] = [],
        ["Runtime"] = [],
        ["Imaging"] = ["IO"],
        ["Archive"] = ["IO", "Imaging"],
        ["Patches"] = ["Imaging"],
        ["Similarity"] = ["Imaging", "Patches"],
        ["Learning"] = ["IO", "Runtime", "Imaging", "Patches", "Similarity"],
        ["Evaluation"] = ["Imaging", "Patches", "Similarity"],
        ["Registration"] = ["IO", "Runtime", "Imaging", "Patches", "Similarity", "Learning"],
        ["Reporting"] = ["IO", "Imaging", "Patches", "Similarity", "Learning", "Evaluation", "Registration"],
    };

    /// <summary>Third-party libraries -> the only folders that may use them.</summary>
    private static readonly Dictionary<string, string[]> LibraryHomes = new()
    {
        ["TorchSharp"] = ["Learning", "Runtime", "Registration"],
        ["SkiaSharp"] = ["Reporting"],
        ["ScottPlot"] = ["Reporting"],
    };

    private static string CoreFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, "DeepSim.sln not found above the test binaries: the source is needed for this test.");
        return Path.Combine(dir!.FullName, "src", "DeepSim.Core");
    }

    private static IEnumerable<(string Folder, string File, string Code)> Sources()
    {
        var core = CoreFolder();
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(core, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal) || !relative.Contains('/'))
            {
                continue;
            }

            yield return (relative[..relative.IndexOf('/')], relative, StripComments(File.ReadAllText(file)));
        }
    }

    private static string StripComments(string code) => CommentPattern().Replace(code, " ");

    [Fact]
    public void EveryFolderIsPlannedAndUsesOnlyTheFoldersThePlanAllows()
    {
        var problems = new List<string>();
        var seen = new HashSet<string>();
        foreach (var (folder, file, code) in Sources())
        {
            seen.Add(folder);
            if (!MayUse.TryGetValue(folder, out var allowed))
            {
                problems.Add($"{file}: folder {folder} is not in docs/ARCHITECTURE.md's plan.");
                continue;
            }

            foreach (Match m in NamespaceUse().Matches(code))
            {
                var used = m.Groups[1].Value;
                if (used != folder && used != "Tests" && !allowed.Contains(used))
                {
                    problems.Add($"{file}: {folder} uses DeepSim.{used}, which the plan does not allow.");
                }
            }
        }

        Assert.Contains("Imaging", seen);
        Assert.Contains("Registration", seen);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Distinct()));
    }

    [Fact]
    public void EachFileDeclaresTheNamespaceOfItsFolder()
    {
        var problems = Sources()
            .Select(s => (s.File, Declared: FileNamespace().Match(s.Code).Groups[1].Value, Expected: "DeepSim." + s.Folder))
            .Where(s => s.Declared != s.Expected && !s.Declared.StartsWith(s.Expected + ".", StringComparison.Ordinal))
            .Select(s => $"{s.File}: namespace {s.Declared}, expected {s.Expected}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void NativeAndDrawingLibrariesStayInTheirFolders()
    {
        var problems = new List<string>();
        foreach (var (folder, file, code) in Sources())
        {
            foreach (var (library, homes) in LibraryHomes)
            {
                if (!homes.Contains(folder) && Regex.IsMatch(code, $@"\b{library}\b"))
                {
                    problems.Add($"{file}: uses {library}, which belongs in {string.Join(" or ", homes)}.");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void TheCoreHasNoPowerShellInIt()
    {
        var references = typeof(DeepSim.Imaging.MedicalImage).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("System.Management.Automation", references);
        Assert.DoesNotContain(Sources(), s => s.Code.Contains("System.Management.Automation", StringComparison.Ordinal));
    }

    [Fact]
    public void TheCheckSeesAForbiddenUseThroughAUsingAndAQualifiedName()
    {
        // The patterns the checks rely on, on made-up code: a using and a qualified name count; comments and literals do not.
        const string code = "using DeepSim.Learning;\nclass A { DeepSim.Similarity.Quantizer q; } // DeepSim.Reporting.X\n/* DeepSim.Evaluation.Y */ var s = \"DeepSim.Registration.Z\";";
        var used = NamespaceUse().Matches(StripComments(code)).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("Learning", used);
        Assert.Contains("Similarity", used);
        Assert.DoesNotContain("Reporting", used);
        Assert.DoesNotContain("Evaluation", used);
        Assert.DoesNotContain("Registration", used);
    }

    [GeneratedRegex(@"\bDeepSim\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex NamespaceUse();

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    /// <summary>Char and string literals and comments (line and block): what a namespace check must not read.</summary>
    [GeneratedRegex(@"'(?:\\.|[^'\\])'|@""(?:""""|[^""])*""|""(?:\\.|[^""\\])*""|//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentPattern();
}
