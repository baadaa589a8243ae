using System.Globalization;

namespace Weft.Echo.Http;

/// <summary>
/// The upstream echo app's <c>?codes=code[:weight][,code[:weight]]*</c>: each request answers one of the
/// codes, picked at random in proportion to its weight (default weight 1). No parameter means 200.
/// </summary>
internal sealed class ResponseCodes
{
    private readonly (int Code, int Weight)[] _choices;
    private readonly int _totalWeight;

    private ResponseCodes((int Code, int Weight)[] choices)
    {
        _choices = choices;
        _totalWeight = choices.Sum(c => c.Weight);
    }

    public static bool TryParse(string? text, out ResponseCodes codes, out string? error)
    {
        codes = new ResponseCodes([(StatusCodes.Status200OK, 1)]);
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var choices = new List<(int, int)>();
        foreach (var item in text.Split(','))
        {
            var parts = item.Split(':');
            if (parts.Length > 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var code)
                || code < 200 || code >= 600)
            {
                error = $"invalid HTTP response code in codes={text}: '{item}'";
                return false;
            }

            var weight = 1;
            if (parts.Length == 2
                && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight < 0))
            {
                error = $"invalid weight in codes={text}: '{item}'";
                return false;
            }

            choices.Add((code, weight));
        }

        if (choices.Sum(c => c.Item2) <= 0)
        {
            error = $"codes={text} has no positive weight";
            return false;
        }

        codes = new ResponseCodes([.. choices]);
        return true;
    }

    public int Pick(Random random)
    {
        var slice = random.Next(_totalWeight);
        foreach (var (code, weight) in _choices)
        {
            if (slice < weight)
            {
                return code;
            }

            slice -= weight;
        }

        return _choices[^1].Code;
    }
}
