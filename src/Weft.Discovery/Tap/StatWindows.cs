namespace Weft.Discovery.Tap;

/// <summary>
/// The windows a sidecar's request counters answer for (its admin <c>/stat?window=</c>, the control plane's stat query,
/// <c>weft stat --window</c>): whole seconds or a minute, written <c>30s</c> or <c>1m</c>, 1 s to <see cref="MaxSeconds"/>.
/// </summary>
public static class StatWindows
{
    /// <summary>The longest window: a sidecar keeps a minute of whole 10-second slots (and the current one).</summary>
    public const int MaxSeconds = 60;

    /// <summary>Parses <c>Ns</c> or <c>Nm</c>, 1 to <see cref="MaxSeconds"/> seconds.</summary>
    public static bool TryParse(string text, out int seconds)
    {
        seconds = 0;
        var unit = text.Length == 0 ? 0 : text[^1] switch { 's' => 1, 'm' => 60, _ => 0 };
        if (unit == 0 || !int.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || n <= 0 || (long)n * unit > MaxSeconds)
        {
            return false;
        }

        seconds = n * unit;
        return true;
    }
}
