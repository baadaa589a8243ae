using System.Collections.Immutable;
using k8s;
using Microsoft.Extensions.Logging;
using Weft.Api.Model;
using Weft.Routing.Backends;

namespace Weft.ControlPlane.Kubernetes;

/// <summary>
/// The ConfigMaps that CA references name (XBackend <c>spec.tls.validation.caCertificateRefs</c> and BackendTLSPolicy
/// <c>spec.validation.caCertificateRefs</c>: group "", kind ConfigMap, in the referring object's namespace), each kept
/// by an informer of its own (its namespace's list and watch with <c>fieldSelector=metadata.name=NAME</c>, as client-go
/// watches one object). Not an informer over every ConfigMap: a cluster holds many, some large, and some rewritten every
/// few seconds (leader election records, operators' state), while Weft reads a handful of <c>ca.crt</c> keys; all of
/// them in memory, and a new model for each of their changes, would follow the cluster's size instead of the mesh's.
/// Used from <see cref="KubeSource"/>'s loop only.
/// </summary>
public sealed class ReferencedConfigMaps : IAsyncDisposable
{
    /// <summary>
    /// How long a publish waits for a newly referenced ConfigMap's first list before going on without it: long enough for
    /// a list of one object, short enough that a ConfigMap Weft may not read (403) holds nothing else up for long. The
    /// informer keeps trying, and its object is published when it comes.
    /// </summary>
    public static readonly TimeSpan FirstListWait = TimeSpan.FromSeconds(5);

    private readonly IKubernetes _client;
    private readonly ILogger<KubeInformer> _logger;
    private readonly KubeInformerOptions? _options;
    private readonly Action<KubeInformer> _changed;
    private ImmutableDictionary<(string Namespace, string Name), KubeInformer> _informers = ImmutableDictionary<(string Namespace, string Name), KubeInformer>.Empty;

    /// <summary>Watches nothing until <see cref="FollowAsync"/>; <paramref name="changed"/> is called, on an informer's loop, whenever one of the ConfigMaps changes (or first lists).</summary>
    public ReferencedConfigMaps(IKubernetes client, ILoggerFactory loggerFactory, KubeInformerOptions? options, Action<KubeInformer> changed)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _logger = loggerFactory.CreateLogger<KubeInformer>();
        _options = options;
        _changed = changed;
    }

    /// <summary>The informers, one per referenced ConfigMap (<c>namespace/name</c>).</summary>
    public IReadOnlyDictionary<(string Namespace, string Name), KubeInformer> Informers => Volatile.Read(ref _informers);

    /// <summary>The kinds whose objects have CA references (Routing's rule): <see cref="Of"/> needs only their objects, not the cluster's.</summary>
    public static IReadOnlySet<string> Kinds => CaCertificateRefs.Kinds;

    /// <summary>The ConfigMaps that <paramref name="objects"/>' CA references name, as <c>(namespace, name)</c> (Routing's rule).</summary>
    public static IReadOnlySet<(string Namespace, string Name)> Of(IEnumerable<KubeObject> objects) => CaCertificateRefs.ConfigMapsNamedBy(objects);

    /// <summary>
    /// Watches exactly <paramref name="named"/>: an informer is started for each ConfigMap not watched yet, and stopped
    /// for each no longer named. Returns the informers started.
    /// </summary>
    public async Task<IReadOnlyList<KubeInformer>> FollowAsync(IReadOnlySet<(string Namespace, string Name)> named)
    {
        ArgumentNullException.ThrowIfNull(named);
        var current = Volatile.Read(ref _informers);
        var started = new List<KubeInformer>();
        var next = current.ToBuilder();
        foreach (var key in named.Where(k => !current.ContainsKey(k)))
        {
            var informer = new KubeInformer(_client, KubeResource.ConfigMaps, _logger, _options, scope: KubeListScope.Object(key.Namespace, key.Name));
            informer.Changed += _changed;
            next[key] = informer;
            started.Add(informer);
        }

        var stopped = current.Where(c => !named.Contains(c.Key)).ToList();
        foreach (var (key, _) in stopped)
        {
            next.Remove(key);
        }

        Volatile.Write(ref _informers, next.ToImmutable());
        foreach (var informer in started)
        {
            informer.Start();
        }

        foreach (var (_, informer) in stopped)
        {
            informer.Changed -= _changed;
            await informer.DisposeAsync().ConfigureAwait(false);
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        var informers = Interlocked.Exchange(ref _informers, ImmutableDictionary<(string Namespace, string Name), KubeInformer>.Empty);
        foreach (var informer in informers.Values)
        {
            informer.Changed -= _changed;
            await informer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
