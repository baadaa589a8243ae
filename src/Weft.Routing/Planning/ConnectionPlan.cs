using Weft.Routing.Policy;

namespace Weft.Routing.Planning;

/// <summary>
/// What the data plane does with one opaque, TCP or TLS connection, decided by <see cref="ConnectionPlanner"/>: forward
/// it to <see cref="Backend"/>, or close it (<see cref="Rejected"/> says why). The L4 counterpart of <see cref="RequestPlan"/>.
/// </summary>
public sealed record ConnectionPlan
{
    /// <summary>Which rule decided.</summary>
    public required PlanOutcome Outcome { get; init; }

    /// <summary>The TCPRoute or TLSRoute rule that took the connection; null when none applies (C1) or no hostname matched.</summary>
    public L4RulePolicy? Rule { get; init; }

    /// <summary>The backend chosen (by weight, or the Service's own), also when its share is rejected (F4).</summary>
    public BackendPolicy? Picked { get; init; }

    /// <summary>The index of <see cref="Picked"/> in the rule's backends; -1 for the Service's own backend or none.</summary>
    public int PickedIndex { get; init; } = -1;

    /// <summary>Why the connection is closed; null when it is forwarded.</summary>
    public string? Rejected { get; init; }

    /// <summary>The backend to connect to (valid, with ready endpoints); null when the connection is rejected.</summary>
    public BackendPolicy? Backend => Outcome.Forwards() ? Picked : null;
}
