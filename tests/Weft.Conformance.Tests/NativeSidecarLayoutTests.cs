using System.Diagnostics;
using Weft.Cli.Local;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// The Native AOT sidecar ./test.sh built (as ./weft up builds it) lays out the managed methods that
/// <c>src/Weft.Proxy/weft-proxy.order</c> lists first, in its order (IlcOrderFile in Weft.Proxy.csproj): the methods a
/// ready sidecar runs, kept together so that what it maps back after letting go of its start-up pages is the few MB they
/// fill, not most of its code (bench/RESULTS.md). Read from the symbols the build keeps beside the binary
/// (<c>weft-proxy.dbg</c>), with binutils' <c>nm</c>, which the native build itself needs.
/// </summary>
public sealed class NativeSidecarLayoutTests(ITestOutputHelper output)
{
    private static SourceTreeSidecar Sidecar => SourceTreeSidecar.Above(SharedFiles.Repository)!;

    private static string OrderFile => Path.Combine(Sidecar.Root, "src", "Weft.Proxy", "weft-proxy.order");

    [Fact]
    public async Task The_native_sidecar_starts_its_managed_code_with_the_methods_its_order_file_lists_in_that_order()
    {
        // Built, and after its last source changed (the order file is one), by the rule ./weft up runs it by.
        Assert.True(Sidecar.Unusable() is null, $"the Native AOT sidecar ./test.sh and ./weft up build is not there to read: {Sidecar.Unusable()}");
        var symbols = Sidecar.Binary + ".dbg";
        Assert.True(File.Exists(symbols), $"{symbols} is missing: the build keeps the sidecar's symbols beside it");

        var listed = File.ReadLines(OrderFile).Where(line => line.Length > 0 && line[0] != '#').ToList();
        var managed = await ManagedCodeAsync(symbols);

        var present = managed.ToHashSet(StringComparer.Ordinal);
        var expected = listed.Where(present.Contains).ToList();
        output.WriteLine($"{listed.Count} methods listed, {expected.Count} of them in this build, {managed.Count} managed methods in all");
        // Names go stale as the code changes (the rest of the list still does its part); below half, the layout has lost
        // most of what it was for.
        Assert.True(expected.Count * 2 >= listed.Count, $"only {expected.Count} of the {listed.Count} methods {OrderFile} lists are in the build: run bench/order-file.sh (as root) to make the list again");
        Assert.Equal(expected, managed.Take(expected.Count));
    }

    /// <summary>The symbols of the managed code section (<c>__managedcode</c>), in address order.</summary>
    private static async Task<List<string>> ManagedCodeAsync(string symbols)
    {
        // LC_ALL=C: symbols at one address in byte order, as bench/order-file.sh reads them.
        var start = new ProcessStartInfo("nm", ["-n", "--defined-only", symbols]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LC_ALL"] = "C";
        using var nm = Process.Start(start)!;
        var stderr = nm.StandardError.ReadToEndAsync();
        var code = new List<(ulong Address, string Name)>();
        ulong first = 0, stop = 0;
        while (await nm.StandardOutput.ReadLineAsync() is { } line)
        {
            // "ADDRESS TYPE NAME"; the compiler brackets its managed code with __start___managedcode and
            // __stop___managedcode, which share their addresses with the first method and the end.
            var fields = line.Split(' ', 3);
            var address = Convert.ToUInt64(fields[0], 16);
            if (fields[2] == "__start___managedcode")
            {
                first = address;
            }
            else if (fields[2] == "__stop___managedcode")
            {
                stop = address;
            }
            else if (fields[1] is "t" or "T" && !fields[2].StartsWith("__", StringComparison.Ordinal))
            {
                code.Add((address, fields[2]));
            }
        }

        await nm.WaitForExitAsync();
        Assert.True(nm.ExitCode == 0, await stderr);
        Assert.True(stop > first, $"no managed code section in {symbols}");
        return [.. code.Where(c => c.Address >= first && c.Address < stop).Select(c => c.Name)];
    }
}
