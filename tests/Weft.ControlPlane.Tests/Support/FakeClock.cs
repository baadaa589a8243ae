using Microsoft.Extensions.Time.Testing;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>Fake clocks for the identity and translation tests: they move only when the test advances them.</summary>
internal static class FakeClock
{
    /// <summary>
    /// A <see cref="FakeTimeProvider"/> at the current time truncated to whole seconds, as X.509 times are (so a
    /// certificate's NotAfter equals now plus its lifetime), and near the real time that TLS stacks check against.
    /// </summary>
    public static FakeTimeProvider AtNow() => new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
}
