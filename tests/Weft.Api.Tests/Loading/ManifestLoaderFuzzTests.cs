using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;
using YamlDotNet.Core;

namespace Weft.Api.Tests.Loading;

/// <summary>
/// The manifest loader under generated and mutated input (issue 15, reliability suite: fuzzing). Inputs are the
/// repository's example manifests and the conformance manifests, mutated (byte flips, truncation, duplicated lines and
/// keys, deep nesting, huge scalars, anchors and aliases up to "billion laughs", splices), plus token soup. For each:
/// no exception escapes but the documented result (<see cref="LoadResult"/> problems; <see cref="YamlException"/> from
/// <see cref="ManifestJson.Documents"/>), it finishes within a deadline, and it allocates a bounded amount.
/// </summary>
/// <remarks>
/// The normal run reads <see cref="ShortFormInputs"/> inputs from a fixed seed in a few seconds. The full form:
/// <c>WEFT_FUZZ_INPUTS=100000 dotnet test tests/Weft.Api.Tests --filter ManifestLoaderFuzzTests</c>, with
/// <c>WEFT_FUZZ_SEED=N</c> to choose the run's seed (random otherwise). A failure prints the run's seed and the
/// input's; <c>WEFT_FUZZ_REPLAY=INPUT_SEED</c> runs that one input alone.
/// </remarks>
public sealed class ManifestLoaderFuzzTests(ITestOutputHelper output)
{
    private const int ShortFormInputs = 1_000;
    private const int ShortFormSeed = 1515;
    // Wall time, generous: a busy CI machine slows every input, a hang never ends (a slow input shows in the CPU figure).
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static readonly Lazy<string[]> Corpus = new(() =>
    [
        .. Directory.GetFiles(Path.Combine(SharedFiles.Repository, "examples"), "*.yaml", SearchOption.AllDirectories),
        .. Directory.GetFiles(SharedFiles.ConformanceDir, "*.yaml", SearchOption.AllDirectories),
    ]);

    private static readonly Lazy<string[]> CorpusText = new(() => [.. Corpus.Value.Order(StringComparer.Ordinal).Select(File.ReadAllText)]);

    private static readonly string[] Tokens =
    [
        "\n", " ", "  ", "- ", ": ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "!!str ", "!tag ", "? ", "|", ">", "|-",
        "'", "\"", "#", "---\n", "...\n", "%YAML 1.2\n", "\t", "\\", "\u0085", "\u2028", "\ufeff", "\0", "apiVersion", "kind",
        "metadata", "name", "spec", "rules", "v1", "HTTPRoute", "gateway.networking.k8s.io/v1", "<<: ", "~", "null", "1e400",
        "-0", "0x1F", "9223372036854775808", "true", "y", "\r\n", "\r",
    ];

    [Fact]
    public void No_input_escapes_the_loader_as_an_exception_hangs_or_allocates_without_bound()
    {
        var inputs = int.TryParse(Environment.GetEnvironmentVariable("WEFT_FUZZ_INPUTS"), out var n) ? n : ShortFormInputs;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("WEFT_FUZZ_SEED"), out var s) ? s
            : inputs == ShortFormInputs ? ShortFormSeed : Random.Shared.Next();
        if (int.TryParse(Environment.GetEnvironmentVariable("WEFT_FUZZ_REPLAY"), out var replay))
        {
            Check(replay, seed);
            return;
        }

        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var run = new Random(seed);
        for (var i = 0; i < inputs; i++)
        {
            Check(run.Next(), seed);
        }

        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        output.WriteLine($"{inputs} inputs from seed {seed} in {clock.Elapsed.TotalSeconds:0.0} s ({cpu.TotalSeconds:0.0} s of CPU)");
    }

    private static void Check(int inputSeed, int runSeed)
    {
        var text = Generate(new Random(inputSeed));
        var failure = default(Exception);
        long allocated = 0;
        var worker = new Thread(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                _ = ManifestLoader.LoadText(text, "fuzz.yaml");
                try
                {
                    _ = ManifestJson.Documents(text);
                }
                catch (YamlException)
                {
                    // ManifestJson's documented error.
                }
            }
            catch (Exception e)
            {
                failure = e;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 1024 * 1024); // the smallest stack a thread pool thread may have: deep input must not overflow it
        worker.Start();
        var where = $"run seed {runSeed}, input seed {inputSeed} (replay: WEFT_FUZZ_REPLAY={inputSeed}), {text.Length} chars starting {Preview(text)}";
        if (!worker.Join(Deadline) || failure is not null)
        {
            var saved = Path.Combine(Path.GetTempPath(), $"weft-fuzz-{inputSeed}.yaml");
            File.WriteAllText(saved, text);
            Assert.Fail($"{failure?.ToString() ?? $"no result within {Deadline.TotalSeconds} s"}\n{where}; the input is saved in {saved}");
        }


        // Bounded: proportional to the text, whatever its aliases and nesting.
        var bound = (200L * text.Length) + (64L << 20);
        Assert.True(allocated <= bound, $"allocated {allocated} bytes (bound {bound}): {where}");
    }

    private static string Preview(string text) =>
        System.Text.Json.JsonSerializer.Serialize(text.Length <= 160 ? text : text[..160]);

    internal static string Generate(Random random)
    {
        var corpus = CorpusText.Value;
        var text = random.Next(20) == 0 ? TokenSoup(random) : corpus[random.Next(corpus.Length)];
        var mutations = 1 + random.Next(4);
        for (var i = 0; i < mutations; i++)
        {
            text = Mutate(random, text, corpus);
        }

        return text;
    }

    private static string Mutate(Random random, string text, string[] corpus)
    {
        var at = text.Length == 0 ? 0 : random.Next(text.Length);
        switch (random.Next(11))
        {
            case 0: // byte flips
                {
                    var bytes = Encoding.UTF8.GetBytes(text);
                    for (var i = 0; i < 1 + random.Next(8) && bytes.Length > 0; i++)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    return Encoding.UTF8.GetString(bytes);
                }

            case 1: // truncation
                return text[..at];
            case 2: // a token inserted
                return text.Insert(at, Tokens[random.Next(Tokens.Length)]);
            case 3: // a line duplicated: duplicated keys, duplicated list items
                {
                    var lines = text.Split('\n').ToList();
                    var line = random.Next(lines.Count);
                    lines.Insert(line, lines[line]);
                    return string.Join('\n', lines);
                }

            case 4: // deep nesting, flow or block
                {
                    var depth = random.Next(8) != 0 ? random.Next(1, 400) : random.Next(1, 20_000);
                    return random.Next(2) == 0
                        ? text.Insert(at, new string('[', depth) + "x" + new string(']', random.Next(depth + 1)))
                        : text + "\n" + string.Concat(Enumerable.Range(0, Math.Min(depth, 2_000)).Select(d => new string(' ', d) + "k:\n"));
                }

            case 5: // a huge scalar
                {
                    var size = random.Next(8) != 0 ? random.Next(1, 4_096) : random.Next(100_000, 1_000_000);
                    var quote = random.Next(3) switch { 0 => "\"", 1 => "'", _ => "" };
                    return text.Insert(at, quote + new string((char)random.Next('a', 'z' + 1), size) + quote);
                }

            case 6: // billion laughs, small or large
                return HostileYamlTests.BillionLaughs(random.Next(1, 12)) + (random.Next(2) == 0 ? "" : "---\n" + text);
            case 7: // an anchor here, aliases there
                {
                    var withAnchor = text.Insert(at, "&x ");
                    var aliasAt = random.Next(withAnchor.Length + 1);
                    return withAnchor.Insert(aliasAt, random.Next(2) == 0 ? "*x" : "*y");
                }

            case 8: // a splice of two inputs
                {
                    var other = corpus[random.Next(corpus.Length)];
                    return text[..at] + other[random.Next(other.Length)..];
                }

            case 9: // a line's indentation changed
                {
                    var lines = text.Split('\n');
                    var line = random.Next(lines.Length);
                    lines[line] = new string(' ', random.Next(12)) + lines[line].TrimStart();
                    return string.Join('\n', lines);
                }

            default: // a value replaced by a collection or a scalar of another type
                {
                    var colon = text.IndexOf(": ", at, StringComparison.Ordinal);
                    if (colon < 0)
                    {
                        return text;
                    }

                    var end = text.IndexOf('\n', colon);
                    var replacement = random.Next(5) switch { 0 => "[a, {b: c}]", 1 => "{x: [1]}", 2 => "12345678901234567890", 3 => "~", _ => "{? [k]: v}" };
                    return text[..(colon + 2)] + replacement + (end < 0 ? "" : text[end..]);
                }
        }
    }

    private static string TokenSoup(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(1, 200); i > 0; i--)
        {
            text.Append(Tokens[random.Next(Tokens.Length)]);
        }

        return text.ToString();
    }
}
