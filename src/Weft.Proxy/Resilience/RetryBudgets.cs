using System.Collections.Concurrent;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;

namespace Weft.Proxy.Resilience;

/// <summary>
/// The retry budgets this proxy keeps: one per destination Service frontend (namespace/name:port), shared by every
/// request it sends there, so retries cannot multiply load during an outage (issue 5; Linkerd's budget, 20% + a floor);
/// and one per backend an XBackendTrafficPolicy gives a budget of its own (GEP-3388), made afresh when that budget changes.
/// </summary>
internal sealed class RetryBudgets(TimeProvider time, RetryBudgetOptions? options = null)
{
    private readonly ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.Ordinal);

    /// <summary>The budget a retry to <paramref name="backend"/> is charged to, for a request to <paramref name="destination"/>.</summary>
    public RetryBudget For(string destination, BackendPolicy backend)
    {
        if (backend.RetryBudget is not { } policy)
        {
            return _budgets.TryGetValue(destination, out var shared) ? shared : _budgets.GetOrAdd(destination, _ => new RetryBudget(time, options));
        }

        // Keyed by the backend and the budget's terms: an edited policy starts a budget of its own.
        var key = $"{backend.Namespace}/{backend.Name}|{policy.Percent}|{policy.Interval.Ticks}|{policy.MinRetryCount}|{policy.MinRetryInterval.Ticks}";
        return _budgets.TryGetValue(key, out var own) ? own : _budgets.GetOrAdd(key, static (_, state) => new RetryBudget(state.time, RetryBudgetOptions.From(state.policy)), (time, policy));
    }
}
