using BenchmarkDotNet.Attributes;
using Weft.Routing.Filters;
using Weft.Routing.Policy;

namespace Weft.Bench;

[MemoryDiagnoser]
public class WeightedPickerBenchmarks
{
    private readonly BackendPolicy[] _backends =
    [
        new() { Namespace = "n", Name = "v1", Port = 80, Weight = 70 },
        new() { Namespace = "n", Name = "v2", Port = 80, Weight = 30 },
        new() { Namespace = "n", Name = "v3", Port = 80, Weight = 5, Invalid = "BackendNotFound" },
    ];

    [Benchmark]
    public int Pick() => WeightedPicker.Pick(_backends, 0.83);
}
