using System.Globalization;

namespace Weft.Reliability;

/// <summary>
/// How hard the suite pushes: the short form (CI: a few seconds a scenario) unless <c>WEFT_RELIABILITY=full</c>, which
/// takes the numbers of issue 15 (60 s at 1,000 requests a second, 20,000-connection floods).
/// </summary>
internal static class Scale
{
    public const string Variable = "WEFT_RELIABILITY";

    public static bool Full { get; } = string.Equals(Environment.GetEnvironmentVariable(Variable), "full", StringComparison.OrdinalIgnoreCase);

    /// <summary>"short" or "full", printed with every figure.</summary>
    public static string Form => Full ? "full" : "short";

    /// <summary>Requests a second the load generator aims at.</summary>
    public static int Rate => Full ? 1000 : 200;

    /// <summary>How long each scenario's load runs.</summary>
    public static TimeSpan Duration => Full ? TimeSpan.FromSeconds(60) : TimeSpan.FromSeconds(6);

    /// <summary>Idle connections opened on each listener by the flood scenario (the full form stays under the 20,000 descriptors a process gets here).</summary>
    public static int FloodConnections => Full ? 15_000 : 1_000;

    /// <summary>Slowloris connections and partial TLS handshakes held on each listener.</summary>
    public static int SlowConnections => Full ? 2_000 : 100;

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s";
}
