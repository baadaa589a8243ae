using BenchmarkDotNet.Attributes;
using Weft.Routing.Filters;
using Weft.Routing.Policy;

namespace Weft.Bench;

/// <summary>
/// RequestHeaderModifier (gamma-spec G4) on a 12-header request: set one existing and one new header, add one, remove
/// two. <see cref="ResetOnly"/> is the cost of restoring the collection that every other benchmark also pays.
/// </summary>
[MemoryDiagnoser]
public class HeaderFilterBenchmarks
{
    private readonly ArrayHeaders _headers = new(
        ("Host", "api.shop.svc.cluster.local"),
        ("User-Agent", "curl/8.5.0"),
        ("Accept", "application/json"),
        ("Accept-Encoding", "gzip, br"),
        ("Content-Type", "application/json"),
        ("Content-Length", "512"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("x-request-id", "7f1c0a4e-3b1d-4c55-9a7e-0f5d2e6b9c11"),
        ("x-tenant", "tenant-98"),
        ("x-debug", "1"),
        ("authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig"),
        ("cookie", "session=abc123"));

    private readonly HeaderModifierPolicy _modifier = new()
    {
        Set = [new HeaderValuePolicy { Name = "x-tenant", Value = "tenant-1" }, new HeaderValuePolicy { Name = "x-route", Value = "canary" }],
        Add = [new HeaderValuePolicy { Name = "x-forwarded-by", Value = "weft" }],
        Remove = ["x-debug", "cookie"],
    };

    [GlobalSetup]
    public void Setup()
    {
        if (Apply() != 12 || _headers.Get("x-route") != "canary" || _headers.Get("cookie") is not null)
        {
            throw new InvalidOperationException("the filter did not edit the headers as intended");
        }
    }

    [Benchmark(Baseline = true)]
    public int ResetOnly()
    {
        _headers.Reset();
        return _headers.Count;
    }

    [Benchmark]
    public int Apply()
    {
        _headers.Reset();
        HeaderModification.Apply(_modifier, _headers);
        return _headers.Count;
    }
}
