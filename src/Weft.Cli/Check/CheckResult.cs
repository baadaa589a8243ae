namespace Weft.Cli.Check;

/// <summary>
/// One line of <c>weft check</c>: <paramref name="Name"/> identifies the check (stable, for tests and <c>-o json</c>),
/// <paramref name="Detail"/> is the line a user reads, <paramref name="Hint"/> what to do when it failed. A check that
/// does not apply to this cluster (<see cref="Skipped"/>) does not fail it.
/// </summary>
internal sealed record CheckResult(string Group, string Name, bool Ok, string Detail, string? Hint = null)
{
    /// <summary>The check does not apply to this cluster (<see cref="Detail"/> says why); it counts as passed.</summary>
    public bool Skipped { get; init; }

    public static CheckResult Pass(string group, string name, string detail) => new(group, name, true, detail);

    public static CheckResult Fail(string group, string name, string detail, string hint) => new(group, name, false, detail, hint);

    public static CheckResult Skip(string group, string name, string detail) => new(group, name, true, detail) { Skipped = true };
}
