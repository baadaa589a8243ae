using System.Globalization;
using System.Text;

namespace Weft.Proxy.Metrics;

/// <summary>
/// Writes metric families in the Prometheus text format 0.0.4 or in OpenMetrics 1.0.0. The two differ in the metadata
/// only: in OpenMetrics a counter family is named without its samples' <c>_total</c> suffix, a family with a unit says
/// so in <c># UNIT</c> (its name ends in that unit), and the exposition ends with <c># EOF</c>. Samples are written the
/// same way in both.
/// </summary>
internal sealed class ExpositionWriter(ExpositionFormat format)
{
    /// <summary>The Content-Type of the Prometheus text format.</summary>
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The Content-Type of OpenMetrics text.</summary>
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private readonly StringBuilder _text = new();

    public ExpositionFormat Format => format;

    /// <summary>
    /// The format a scraper's Accept header asks for (RFC 9110 content negotiation): OpenMetrics when it accepts
    /// <c>application/openmetrics-text</c> with a weight above 0 and at least that of the Prometheus text format (which
    /// <c>text/plain</c>, <c>text/*</c> or <c>*/*</c> accept), as Prometheus' own scrape header ranks them; else Prometheus.
    /// </summary>
    public static ExpositionFormat Negotiate(string? accept)
    {
        if (string.IsNullOrEmpty(accept) || !accept.Contains("openmetrics", StringComparison.OrdinalIgnoreCase)
            || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParseList([accept], out var ranges))
        {
            return ExpositionFormat.Prometheus;
        }

        double open = 0, plain = 0;
        foreach (var range in ranges)
        {
            var weight = range.Quality ?? 1;
            var type = range.MediaType.Value ?? "";
            if (type.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase))
            {
                open = Math.Max(open, weight);
            }
            else if (type.Equals("text/plain", StringComparison.OrdinalIgnoreCase) || type.Equals("text/*", StringComparison.OrdinalIgnoreCase) || type == "*/*")
            {
                plain = Math.Max(plain, weight);
            }
        }

        return open > 0 && open >= plain ? ExpositionFormat.OpenMetrics : ExpositionFormat.Prometheus;
    }

    /// <summary>Starts a family.</summary>
    /// <param name="name">The samples' name (with <c>_total</c> for a counter).</param>
    /// <param name="type">counter, gauge or histogram.</param>
    /// <param name="help">The family's description.</param>
    /// <param name="unit">"seconds" or "bytes" when the family has one (its name ends in it, before <c>_total</c>).</param>
    public ExpositionWriter Family(string name, string type, string help, string? unit = null)
    {
        var family = format == ExpositionFormat.OpenMetrics && type == "counter" && name.EndsWith("_total", StringComparison.Ordinal)
            ? name[..^"_total".Length]
            : name;
        _text.Append("# HELP ").Append(family).Append(' ').Append(help).Append('\n');
        _text.Append("# TYPE ").Append(family).Append(' ').Append(type).Append('\n');
        if (unit is not null && format == ExpositionFormat.OpenMetrics)
        {
            _text.Append("# UNIT ").Append(family).Append(' ').Append(unit).Append('\n');
        }

        return this;
    }

    /// <summary>Starts a sample: its name and <c>{</c>; labels follow through <see cref="Label"/>, then <see cref="Value(long)"/>.</summary>
    public ExpositionWriter Sample(string name)
    {
        _text.Append(name).Append('{');
        _first = true;
        return this;
    }

    private bool _first;

    public ExpositionWriter Label(string name, string value)
    {
        if (!_first)
        {
            _text.Append(',');
        }

        _first = false;
        _text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => _text.Append("\\\\"),
                '"' => _text.Append("\\\""),
                '\n' => _text.Append("\\n"),
                _ => _text.Append(c),
            };
        }

        _text.Append('"');
        return this;
    }

    public void Value(long value) => _text.Append("} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    public void Value(double value) => _text.Append("} ").Append(Number(value)).Append('\n');

    /// <summary>A sample without labels.</summary>
    public void Unlabelled(string name, long value) =>
        _text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>A sample without labels.</summary>
    public void Unlabelled(string name, double value) => _text.Append(name).Append(' ').Append(Number(value)).Append('\n');

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The exposition, with OpenMetrics' closing <c># EOF</c>.</summary>
    public override string ToString() =>
        format == ExpositionFormat.OpenMetrics ? _text.ToString() + "# EOF\n" : _text.ToString();
}
