using System.CommandLine;
using System.Globalization;
using Weft.Discovery.V1;

namespace Weft.Cli.Commands;

/// <summary>
/// <c>weft top deploy/NAME</c>: the busiest (source, destination, method, path) of a workload's live requests, with count,
/// best, worst and last latency and success rate, redrawn in place each second; <c>--duration</c> ends it, <c>--once</c>
/// prints one table at the end (for scripts and tests), and <c>--max N</c> ends it after N requests. Built from the same
/// stream as <c>weft tap</c>.
/// </summary>
internal static class TopCommand
{
    /// <summary>Rows shown (the busiest first).</summary>
    public const int Rows = 20;

    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "What to watch: deploy/NAME or pod/NAME" };
        var options = new TapOptions();
        var duration = new Option<double>("--duration") { Description = "Stop after this many seconds (0: until interrupted; 5 with --once)" };
        duration.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0 or double.NaN or > 600)
            {
                r.AddError("--duration: seconds, 0 to 600 (a sidecar ends a tap after 10 minutes)");
            }
        });
        var once = new Option<bool>("--once") { Description = "Print one table when the duration is over instead of a live one" };
        var max = new Option<int>("--max") { Description = "Stop after this many requests (0: no limit)" };
        max.Validators.Add(r => TapCommand.NonNegative(r, "--max"));
        var command = new Command("top", "Show the busiest paths of a workload's live requests, refreshed in place") { target, duration, once, max };
        options.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            if (!options.TryRequest(result, result.GetValue(target)!, out var request, out var error))
            {
                Console.Error.WriteLine($"weft top: {error}");
                return 2;
            }

            var printOnce = result.GetValue(once) || Console.IsOutputRedirected;
            var limit = result.GetValue(max);
            request.MaxEvents = limit > 0 ? (uint)limit : 0;
            var seconds = result.GetValue(duration) is > 0 and var d ? d : result.GetValue(once) && limit <= 0 ? 5 : 0;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (seconds > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
                request.MaxSeconds = (uint)Math.Ceiling(seconds);
            }

            var table = new TopTable();
            var exit = 0;
            var drawn = DateTimeOffset.MinValue;
            await foreach (var e in TapTarget.StreamAsync("top", options.Access(result), request, Console.Error, code => exit = code, stop.Token))
            {
                if (e.Notice.Length > 0)
                {
                    exit = TapCommand.WriteNotice(Console.Error, "top", e) ? 1 : exit;
                    continue;
                }

                table.Add(e);
                if (limit > 0 && table.Count >= limit)
                {
                    await stop.CancelAsync();
                }

                if (!printOnce && DateTimeOffset.UtcNow - drawn >= TimeSpan.FromSeconds(1))
                {
                    drawn = DateTimeOffset.UtcNow;
                    Console.Write("\u001b[H\u001b[2J" + table.Render(Rows));
                }
            }

            if (exit != 0 && table.Count == 0)
            {
                return exit; // the error said why; an empty table under it says nothing more
            }

            Console.Write((printOnce ? "" : "\u001b[H\u001b[2J") + table.Render(Rows));
            return exit;
        });
        return command;
    }
}
