using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1.Fuzzing;

/// <summary>
/// Property-based fuzzing of the HTTP/1.1 fast path's request head parser (RequestHead behind RelayExchange) and its
/// chunked scanner, with generated valid inputs and their mutations (<see cref="Http1Inputs"/>). For every input: no
/// exception, no hang (a deadline for the whole run), the same answer as the plain reference (<see cref="Http1Reference"/>)
/// on valid and malformed input alike (malformed never Ready: the relay hands it to Kestrel, whose 400/414/431 the wire
/// test checks), and the same answer however the bytes are split: across buffer segments, and at every offset as they
/// arrive (each prefix is answered as the reference answers that prefix). The short form runs in the normal test run;
/// the full form is <c>WEFT_FUZZ_INPUTS=1000000</c>; <c>WEFT_FUZZ_SEED</c> and <c>WEFT_FUZZ_FROM</c> replay (docs/http1-fuzzing.md).
/// </summary>
public sealed class Http1FuzzTests
{
    private const int ShortFormHeads = 5_000;
    private const int ShortFormBodies = 20_000;

    [Fact]
    public void The_request_head_parser_agrees_with_the_reference_on_generated_and_mutated_input_however_split()
    {
        var (seed, _, count) = Settings(ShortFormHeads);
        var head = new RelayExchange();
        var whole = new RelayExchange();
        var valid = 0L;
        RunWithDeadline(count, index =>
        {
            var random = new Random(Http1Inputs.SeedOf(seed, index));
            var input = Http1Inputs.Request(random, out var mutated);
            var absoluteForm = random.Next(2) == 0;
            var expected = Http1Reference.Request(input, absoluteForm);
            Check(seed, index, input, expected, Describe(whole, new ReadOnlySequence<byte>(input), absoluteForm), "whole");
            var originForm = input.AsSpan().IndexOf(" /"u8) == input.AsSpan().IndexOf((byte)' ');
            if (!mutated && (originForm || absoluteForm))
            {
                Assert.True(expected.StartsWith("Ready", StringComparison.Ordinal),
                    $"seed {seed} input {index}: a generated valid head is not Ready: {expected}\n{Http1Inputs.Show(input)}");
                valid += expected.StartsWith("Ready", StringComparison.Ordinal) ? 1 : 0;
            }

            // In segments: the relay's pipe hands a head over in pieces.
            var cuts = Cuts(random, input.Length);
            Check(seed, index, input, expected, Describe(head, Segments(input, cuts), absoluteForm), $"in segments at {string.Join(",", cuts)}");

            // As it arrives: every offset for one input in 200 (64 random ones if it is over 2 KiB), three for the rest.
            var every = index % 200 == 0;
            var prefixes = every && input.Length <= 2048 ? Enumerable.Range(0, input.Length)
                : Enumerable.Range(0, every ? 64 : 3).Select(_ => random.Next(input.Length + 1));
            foreach (var length in prefixes)
            {
                var prefix = input[..length];
                Check(seed, index, prefix, Http1Reference.Request(prefix, absoluteForm), Describe(head, new ReadOnlySequence<byte>(prefix), absoluteForm), $"first {length} bytes");
            }
        });

        Assert.True(valid > count / 10, $"only {valid} of {count} inputs were valid heads: the generator has drifted");
        head.Dispose();
        whole.Dispose();
    }

    [Fact]
    public void The_chunked_scanner_agrees_with_the_reference_on_generated_and_mutated_bodies_however_split()
    {
        var (seed, _, count) = Settings(ShortFormBodies);
        var done = 0L;
        RunWithDeadline(count, index =>
        {
            var random = new Random(Http1Inputs.SeedOf(seed, index) ^ 0x5EED);
            var input = Http1Inputs.Chunked(random, out var mutated);
            var expected = Http1Reference.Chunked(input);
            if (!mutated)
            {
                Assert.True(expected.StartsWith("Done", StringComparison.Ordinal), $"seed {seed} input {index}: a generated valid body is {expected}\n{Http1Inputs.Show(input)}");
            }

            done += expected.StartsWith("Done", StringComparison.Ordinal) ? 1 : 0;
            Check(seed, index, input, expected, Scan(input, []), "whole");
            var every = index % 100 == 0;
            var splits = every ? Enumerable.Range(0, input.Length + 1).Select(s => new[] { s }) : Enumerable.Range(0, 3).Select(_ => Cuts(random, input.Length));
            foreach (var cuts in splits)
            {
                Check(seed, index, input, expected, Scan(input, cuts), $"split at {string.Join(",", cuts)}");
            }
        });

        Assert.True(done > count / 3, $"only {done} of {count} bodies ended well: the generator has drifted");
    }

    /// <summary>Input count, first input and seed: the short form unless WEFT_FUZZ_INPUTS says otherwise.</summary>
    private static (int Seed, long From, long Count) Settings(long shortForm)
    {
        static long Read(string name, long fallback) =>
            long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

        return ((int)Read("WEFT_FUZZ_SEED", 15), Read("WEFT_FUZZ_FROM", 0), Read("WEFT_FUZZ_INPUTS", shortForm));
    }

    /// <summary>
    /// Runs inputs from..from+count on another thread with a deadline (a parser that loops forever fails the test,
    /// naming the input it was on); any exception fails it too, with its input.
    /// </summary>
    private static void RunWithDeadline(long count, Action<long> one)
    {
        var (_, from, _) = Settings(0);
        var current = from;
        var clock = Stopwatch.StartNew();
        var run = Task.Factory.StartNew(() =>
        {
            for (var i = from; i < from + count; i++)
            {
                Volatile.Write(ref current, i);
                one(i);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // 2 ms an input is a thousand times what one takes: only a hang (or a machine stopped) gets near it.
        var deadline = TimeSpan.FromSeconds(30) + TimeSpan.FromMilliseconds(2 * count);
        if (!run.Wait(deadline))
        {
            Assert.Fail($"no answer within {deadline.TotalSeconds:0} s: stuck at input {Volatile.Read(ref current)} (WEFT_FUZZ_FROM={Volatile.Read(ref current)} WEFT_FUZZ_INPUTS=1 replays it)");
        }

        run.GetAwaiter().GetResult();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fuzz: {count} inputs from {from} in {clock.Elapsed.TotalSeconds:0.0} s"));
    }

    private static void Check(int seed, long index, byte[] input, string expected, string actual, string how)
    {
        if (expected != actual)
        {
            Assert.Fail($"seed {seed} input {index} ({how}; WEFT_FUZZ_SEED={seed} WEFT_FUZZ_FROM={index} WEFT_FUZZ_INPUTS=1 replays it):\n"
                + $"  reference: {expected}\n  parser:    {actual}\n  input: {Http1Inputs.Show(input)}");
        }
    }

    /// <summary>The relay's answer for <paramref name="buffer"/>, in <see cref="Http1Reference"/>'s words; an exception is an answer too (a wrong one).</summary>
    private static string Describe(RelayExchange exchange, ReadOnlySequence<byte> buffer, bool absoluteForm)
    {
        HeadStatus status;
        try
        {
            status = exchange.Parse(buffer, absoluteForm);
        }
        catch (Exception e)
        {
            return "threw " + e;
        }

        if (status != HeadStatus.Ready)
        {
            return status.ToString();
        }

        var request = exchange.Request;
        var fields = new StringBuilder();
        for (var i = 0; i < request.HeaderCount; i++)
        {
            var line = request.Headers[i];
            fields.Append(CultureInfo.InvariantCulture, $"[{line.Start}+{line.Length}{(line.Drop ? " drop" : "")}]");
        }

        var form = request.AbsoluteForm ? $"absolute {request.AuthorityStart} {exchange.Authority}" : "origin";
        return Http1Reference.Describe(request.Length, request.RequestLineLength, request.MethodLength, request.IsHead, form,
            request.PathStart, request.PathLength, fields.ToString(), request.HostIndex, request.ContentLength, request.Close, request.DestinationPort, request.ClaimsIdentity);
    }

    /// <summary>The scanner's answer for <paramref name="input"/> fed in pieces cut at <paramref name="cuts"/>.</summary>
    private static string Scan(byte[] input, int[] cuts)
    {
        var scanner = default(ChunkedScanner);
        var taken = 0;
        var start = 0;
        try
        {
            foreach (var end in cuts.Append(input.Length))
            {
                if (end < start)
                {
                    continue;
                }

                var n = scanner.Scan(input.AsSpan(start, end - start));
                if (n < 0)
                {
                    return "Malformed";
                }

                if (n > end - start)
                {
                    return $"took {n} of {end - start} bytes";
                }

                taken += n;
                if (scanner.Done)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"Done {taken}");
                }

                if (n != end - start)
                {
                    return $"stopped at {taken} without being done";
                }

                start = end;
            }
        }
        catch (Exception e)
        {
            return "threw " + e;
        }

        return "NeedMore";
    }

    /// <summary>One to three cut points in 0..length, in order.</summary>
    private static int[] Cuts(Random random, int length) =>
        [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(length + 1)).Order()];

    private static ReadOnlySequence<byte> Segments(byte[] input, int[] cuts)
    {
        var bounds = cuts.Prepend(0).Append(input.Length).Distinct().ToArray();
        if (bounds.Length <= 2)
        {
            return new ReadOnlySequence<byte>(input);
        }

        var first = new Segment(input.AsMemory(bounds[0], bounds[1] - bounds[0]), 0);
        var last = first;
        for (var i = 1; i < bounds.Length - 1; i++)
        {
            last = last.Append(input.AsMemory(bounds[i], bounds[i + 1] - bounds[i]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
