using System.Collections.Concurrent;
using Weft.Routing.Resilience;

namespace Weft.Proxy.Resilience;

/// <summary>
/// One <see cref="RetryBudget"/> per destination Service frontend (namespace/name:port), shared by every request this
/// proxy sends there, so retries cannot multiply load during an outage (issue 5; Linkerd's budget, 20% + a floor).
/// </summary>
internal sealed class RetryBudgets(TimeProvider time, RetryBudgetOptions? options = null)
{
    private readonly ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.Ordinal);

    public RetryBudget For(string destination) =>
        _budgets.TryGetValue(destination, out var budget) ? budget : _budgets.GetOrAdd(destination, _ => new RetryBudget(time, options));
}
