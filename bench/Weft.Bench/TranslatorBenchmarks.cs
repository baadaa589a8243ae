using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Weft.Routing;
using Weft.Routing.Policy;

namespace Weft.Bench;

/// <summary>
/// The translator at scale (<see cref="SyntheticCluster"/>: 10,000 Services, 10,000 HTTPRoutes, 100,000 endpoints):
/// the full build, compiling 1,000 subscribed destinations, and one edited route as the control plane handles it today
/// (a full rebuild, then every subscription recompiled and serialised to see whether its bytes changed).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 5, invocationCount: 1)]
public class TranslatorBenchmarks
{
    private MeshSnapshot _snapshot = null!;
    private MeshSnapshot _edited = null!;
    private MeshModel _model = null!;
    private IReadOnlyList<(string ClientNamespace, string Host, int Port)> _subscriptions = null!;
    private DestinationPolicy?[] _sent = null!;

    [GlobalSetup]
    public void Setup()
    {
        var objects = SyntheticCluster.Objects();
        _snapshot = MeshSnapshot.From(objects);
        _edited = SyntheticCluster.WithEditedRoute(objects, 1);
        _subscriptions = SyntheticCluster.Subscriptions();
        _sent = new DestinationPolicy?[_subscriptions.Count];
    }

    /// <summary>A new model, nothing compiled on it yet.</summary>
    [IterationSetup(Target = nameof(CompileSubscriptions))]
    public void NewModel() => _model = MeshModel.Build(_snapshot);

    /// <summary>A model on which every subscription has been compiled and sent, as the discovery streams leave it.</summary>
    [IterationSetup(Target = nameof(IncrementalChange))]
    public void ServedModel()
    {
        _model = MeshModel.Build(_snapshot);
        if (Push(_model) != _subscriptions.Count)
        {
            throw new InvalidOperationException("a subscription did not resolve");
        }
    }

    /// <summary>(a) MeshModel.Build over the whole cluster: compile 10,000 routes.</summary>
    [Benchmark]
    public MeshModel Build() => MeshModel.Build(_snapshot);

    /// <summary>(b) Compile the policy of each of 1,000 subscriptions on a new model.</summary>
    [Benchmark]
    public int CompileSubscriptions()
    {
        var found = 0;
        foreach (var (ns, host, port) in _subscriptions)
        {
            found += _model.Compile(ns, host, port) is null ? 0 : 1;
        }

        return found;
    }

    /// <summary>(c) One route edited, as the control plane did before: full rebuild, every subscription compiled and serialised.</summary>
    [Benchmark]
    public int FullRebuildChange()
    {
        Array.Clear(_sent);
        return Push(MeshModel.Build(_edited));
    }

    /// <summary>(c) One route edited, as the control plane does now: MeshModel.Update, and only changed policies serialised (returns how many).</summary>
    [Benchmark]
    public int IncrementalChange()
    {
        return Push(_model.Update(_edited));
    }

    /// <summary>What every discovery stream does on a new model: compile, and serialise when the policy is a new instance.</summary>
    private int Push(MeshModel model)
    {
        var serialized = 0;
        for (var i = 0; i < _subscriptions.Count; i++)
        {
            var (ns, host, port) = _subscriptions[i];
            var policy = model.Compile(ns, host, port) ?? throw new InvalidOperationException($"{host}:{port} did not resolve");
            if (!ReferenceEquals(policy, _sent[i]))
            {
                _sent[i] = policy;
                serialized += Math.Sign(PolicyJson.Serialize(policy).Length);
            }
        }

        return serialized;
    }
}
