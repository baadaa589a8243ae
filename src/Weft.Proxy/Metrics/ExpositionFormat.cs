namespace Weft.Proxy.Metrics;

/// <summary>The two text formats a scrape may ask for at <c>/metrics</c>.</summary>
internal enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4, the default.</summary>
    Prometheus,

    /// <summary>OpenMetrics 1.0.0: counter families named without <c>_total</c>, <c># UNIT</c> lines, and <c># EOF</c>.</summary>
    OpenMetrics,
}
