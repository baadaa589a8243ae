namespace Weft.Proxy;

/// <summary>
/// Whether socket completions run where they complete (the epoll thread) instead of on a thread-pool worker they wake.
/// A sidecar gets a core or less, and a hop to a worker costs a wake-up and a context switch per read: the sidecar
/// (<c>weft-proxy</c>) turns it on for both socket layers, System.Net.Sockets (its outbound and app connections, by the
/// runtime's variable) and Kestrel's listeners (<c>UnsafePreferInlineScheduling</c>, which does not read the
/// variable). Safe because the proxy's request path never blocks a thread. The environment wins:
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> turns both off.
/// </summary>
public static class InlineCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns them on unless the environment says otherwise; before the first socket is made, which reads it.</summary>
    public static void PreferUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
