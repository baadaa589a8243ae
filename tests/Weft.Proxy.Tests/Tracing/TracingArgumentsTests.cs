using Weft.Routing;

namespace Weft.Proxy.Tests.Tracing;

/// <summary>The sidecar's tracing options on its command line.</summary>
public sealed class TracingArgumentsTests
{
    private static readonly string[] Required = [ProxyFlags.Pod, "default/app", ProxyFlags.PodIp, "127.0.0.1", ProxyFlags.ControlPlane, "http://127.0.0.1:1"];

    [Fact]
    public void Without_a_collector_tracing_is_off()
    {
        Assert.True(ProxyArguments.TryParse(Required, out var options, out _));
        Assert.False(options.Tracing.Enabled);
    }

    [Fact]
    public void A_collector_and_a_rate_turn_tracing_on_as_the_mesh_settings_write_them()
    {
        var settings = new Weft.Routing.Tracing.TracingSettings(new Uri("http://127.0.0.1:4318"), 0.25);

        Assert.True(ProxyArguments.TryParse([.. Required, .. settings.SidecarArguments()], out var options, out _));

        Assert.Equal(settings, options.Tracing);
    }

    [Theory]
    [InlineData("--trace-sampling", "2")]
    [InlineData("--trace-collector", "not a url")]
    public void A_bad_tracing_option_is_refused_by_name(string flag, string value)
    {
        Assert.False(ProxyArguments.TryParse([.. Required, flag, value], out _, out var error));
        Assert.StartsWith(flag, error, StringComparison.Ordinal);
    }
}
