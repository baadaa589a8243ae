using Weft.Routing;
using Weft.Routing.Tracing;

namespace Weft.Routing.Tests.Tracing;

/// <summary>A workload's tracing: the mesh's settings with the workload's annotations over them, field by field.</summary>
public sealed class TracingSettingsTests
{
    private static readonly TracingSettings Mesh = new(new Uri("http://127.0.0.1:4318"), 0.01);

    [Fact]
    public void Without_annotations_a_workload_has_the_mesh_settings()
    {
        Assert.True(TracingSettings.TryApplyAnnotations(Mesh, null, out var settings, out _));
        Assert.Same(Mesh, settings);
    }

    [Fact]
    public void The_sampling_annotation_replaces_the_rate_only()
    {
        Assert.True(TracingSettings.TryApplyAnnotations(Mesh, new Dictionary<string, string> { [TracingSettings.SamplingAnnotation] = "0.5" }, out var settings, out _));
        Assert.Equal(new TracingSettings(Mesh.Collector, 0.5), settings);
    }

    [Fact]
    public void The_collector_annotation_replaces_the_endpoint_and_off_turns_tracing_off()
    {
        Assert.True(TracingSettings.TryApplyAnnotations(Mesh, new Dictionary<string, string> { [TracingSettings.CollectorAnnotation] = "http://127.0.0.2:4318/v1/traces" }, out var other, out _));
        Assert.Equal(new Uri("http://127.0.0.2:4318/v1/traces"), other.Collector);
        Assert.True(TracingSettings.TryApplyAnnotations(Mesh, new Dictionary<string, string> { [TracingSettings.CollectorAnnotation] = "off" }, out var off, out _));
        Assert.False(off.Enabled);
        Assert.Empty(off.SidecarArguments());
    }

    [Fact]
    public void An_annotation_on_a_mesh_without_tracing_turns_it_on_for_the_workload()
    {
        Assert.True(TracingSettings.TryApplyAnnotations(TracingSettings.Off, new Dictionary<string, string> { [TracingSettings.CollectorAnnotation] = "http://127.0.0.1:4318" }, out var settings, out _));
        Assert.True(settings.Enabled);
    }

    [Theory]
    [InlineData(TracingSettings.SamplingAnnotation, "1.5")]
    [InlineData(TracingSettings.SamplingAnnotation, "-0.1")]
    [InlineData(TracingSettings.SamplingAnnotation, "half")]
    [InlineData(TracingSettings.CollectorAnnotation, "127.0.0.1:4318")] // not an absolute URL
    [InlineData(TracingSettings.CollectorAnnotation, "grpc://127.0.0.1:4317")] // OTLP/HTTP only
    public void An_annotation_that_does_not_parse_is_an_error_naming_it(string annotation, string value)
    {
        Assert.False(TracingSettings.TryApplyAnnotations(Mesh, new Dictionary<string, string> { [annotation] = value }, out _, out var error));
        Assert.StartsWith(annotation, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sidecar_arguments_carry_the_collector_and_the_rate()
    {
        Assert.Equal([ProxyFlags.TraceCollector, "http://127.0.0.1:4318/", ProxyFlags.TraceSampling, "0.01"], Mesh.SidecarArguments());
    }
}
