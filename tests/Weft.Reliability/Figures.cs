using System.Globalization;
using Xunit.Abstractions;

namespace Weft.Reliability;

/// <summary>
/// Prints a scenario's figures one per line (<c>route-churn failed=0 requests=1200 rate=200/s</c>) to the test log and
/// appends them to <c>reliability-figures.txt</c> beside the test assembly, or to the file <c>WEFT_RELIABILITY_FIGURES</c>
/// names, so a run's figures can be copied into docs/reliability.md.
/// </summary>
internal sealed class Figures(ITestOutputHelper output, string scenario)
{
    private static readonly object FileLock = new();

    public static string FilePath => Environment.GetEnvironmentVariable("WEFT_RELIABILITY_FIGURES") is { Length: > 0 } path
        ? path
        : Path.Combine(AppContext.BaseDirectory, "reliability-figures.txt");

    public void Print(params (string Name, object Value)[] figures)
    {
        var line = $"{scenario} form={Scale.Form} " + string.Join(' ', figures.Select(f => $"{f.Name}={Format(f.Value)}"));
        output.WriteLine(line);
        lock (FileLock)
        {
            File.AppendAllText(FilePath, $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}\n");
        }
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
