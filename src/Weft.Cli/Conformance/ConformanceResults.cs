namespace Weft.Cli.Conformance;

internal enum Outcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>The result of one case.</summary>
internal sealed record CaseResult(string Test, string Case, Outcome Outcome, string Detail, TimeSpan Duration)
{
    public bool Passed => Outcome == Outcome.Passed;
}

/// <summary>The result of one test (case file): passed when every case passed, skipped when it did not run.</summary>
internal sealed record TestResult(ConformanceTest Test, IReadOnlyList<CaseResult> Cases)
{
    public Outcome Outcome =>
        Cases.Any(c => c.Outcome == Outcome.Failed) ? Outcome.Failed
        : Cases.Count > 0 && Cases.All(c => c.Outcome == Outcome.Skipped) ? Outcome.Skipped
        : Cases.Any(c => c.Outcome == Outcome.Skipped) ? Outcome.Failed
        : Outcome.Passed;
}

/// <summary>A whole run.</summary>
internal sealed record ConformanceRun(IReadOnlyList<TestResult> Tests)
{
    public IEnumerable<CaseResult> Cases => Tests.SelectMany(t => t.Cases);

    /// <summary>True when at least one case ran and every case that ran passed.</summary>
    public bool Succeeded => Cases.Any(c => c.Outcome != Outcome.Skipped) && !Cases.Any(c => c.Outcome == Outcome.Failed);
}
