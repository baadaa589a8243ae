using Weft.Cli.Conformance;

namespace Weft.Cli.Tests.Conformance;

/// <summary>
/// Every upstream mesh conformance case (../shared/conformance/cases), run through the compiled route tables and the
/// proxy's request planner with no network: chosen backend, 404/500 answers, redirect Location, rewritten path, header changes.
/// </summary>
public sealed class OfflineConformanceTests
{
    public static TheoryData<string> CaseFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(SharedFiles.ConformanceCases, "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void Case_file_passes_through_the_compiled_tables(string file)
    {
        var test = CaseFileParser.ParseFile(Path.Combine(SharedFiles.ConformanceCases, file));

        var result = OfflineConformance.Run(test);

        Assert.Equal(test.Cases.Count, result.Cases.Count);
        var failures = result.Cases.Where(r => r.Outcome != Outcome.Passed).Select(r => $"{r.Case}: {r.Outcome} {r.Detail}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
