using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Weft.Routing.Tracing;

/// <summary>
/// How a sidecar takes part in distributed tracing: where its spans go (an OTLP/HTTP collector) and how many new traces
/// it starts. One record for every source of the setting: the mesh-wide default (<c>weft up --trace-collector</c>,
/// <c>--trace-sampling</c>), a workload's annotations (<see cref="CollectorAnnotation"/>, <see cref="SamplingAnnotation"/>)
/// over it, and later a translation of gateway-api's XTelemetryPolicy (its tracing provider and sampling rate map to
/// <see cref="Collector"/> and <see cref="SamplingRate"/>).
/// </summary>
/// <param name="Collector">The OTLP/HTTP endpoint; spans go to its <c>/v1/traces</c> unless it names a path. Null: tracing off.</param>
/// <param name="SamplingRate">
/// The probability (0..1) that a request arriving without a valid <c>traceparent</c> starts a trace at the client sidecar.
/// A request whose <c>traceparent</c> says sampled is always continued (parent-based sampling); one that says not sampled
/// is passed on untouched.
/// </param>
public sealed record TracingSettings(Uri? Collector, double SamplingRate)
{
    /// <summary>The workload annotation that overrides the mesh's collector endpoint; "off" turns tracing off for it.</summary>
    public const string CollectorAnnotation = "weft.dev/trace-collector";

    /// <summary>The workload annotation that overrides the mesh's sampling rate (a number in 0..1).</summary>
    public const string SamplingAnnotation = "weft.dev/trace-sampling";

    /// <summary>The rate when only a collector is given: one request in a hundred starts a trace.</summary>
    public const double DefaultSamplingRate = 0.01;

    /// <summary>Tracing off: no collector, nothing started, incoming trace context passed on untouched.</summary>
    public static TracingSettings Off { get; } = new(null, 0);

    /// <summary>Whether the sidecar records and exports spans at all.</summary>
    public bool Enabled => Collector is not null;

    /// <summary>The sidecar's command-line options for these settings (<see cref="ProxyFlags"/>); none when tracing is off.</summary>
    public IReadOnlyList<string> SidecarArguments() => Collector is null
        ? []
        : [ProxyFlags.TraceCollector, Collector.ToString(), ProxyFlags.TraceSampling, SamplingRate.ToString("R", CultureInfo.InvariantCulture)];

    /// <summary>Parses a sampling rate written as a number in 0..1 (invariant culture).</summary>
    public static bool TryParseRate(string? text, out double rate) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out rate) && rate is >= 0 and <= 1;

    /// <summary>Parses a collector endpoint: an absolute http or https URL, or "off" (null).</summary>
    public static bool TryParseCollector(string? text, out Uri? collector)
    {
        collector = null;
        if (string.Equals(text, "off", StringComparison.Ordinal))
        {
            return true;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            collector = uri;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The settings for one workload: the mesh's, with the workload's annotations over them (each annotation replaces
    /// its one field). An annotation that does not parse is an error, named.
    /// </summary>
    public static bool TryApplyAnnotations(
        TracingSettings mesh, IReadOnlyDictionary<string, string>? annotations, [NotNullWhen(true)] out TracingSettings? settings, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        settings = mesh;
        error = null;
        if (annotations is null)
        {
            return true;
        }

        if (annotations.TryGetValue(CollectorAnnotation, out var collectorText))
        {
            if (!TryParseCollector(collectorText, out var collector))
            {
                settings = null;
                error = $"{CollectorAnnotation}: '{collectorText}' is not an http(s) URL or off";
                return false;
            }

            settings = settings with { Collector = collector };
        }

        if (annotations.TryGetValue(SamplingAnnotation, out var rateText))
        {
            if (!TryParseRate(rateText, out var rate))
            {
                settings = null;
                error = $"{SamplingAnnotation}: '{rateText}' is not a number from 0 to 1";
                return false;
            }

            settings = settings with { SamplingRate = rate };
        }

        return true;
    }
}
