using Weft.Api.Model;
using Weft.Routing.Planning;
using Weft.Routing.Policy;
using Weft.Routing.Resilience;
using static Weft.Routing.Tests.K;

namespace Weft.Routing.Tests.Resilience;

/// <summary>The GRPCRoute retry annotations (docs/resilience.md) and RequestMirror sampling (gamma-spec G8).</summary>
public sealed class GrpcRetryAndMirrorTests
{
    private static GrpcRoute Annotated(params (string Key, string Value)[] annotations)
    {
        var route = Grpc(Mesh, "g", Parent("echo", port: 7070), GrpcRule([], Backend("echo-v1", 7070)));
        return route with { Metadata = route.Metadata with { Annotations = annotations.ToDictionary(a => a.Key, a => a.Value) } };
    }

    [Fact]
    public void Grpc_codes_parse_kebab_and_canonical_names()
    {
        Assert.Equal([GrpcStatusCodes.Unavailable, GrpcStatusCodes.DeadlineExceeded], GrpcRetryableCodes.Parse(" unavailable, DEADLINE_EXCEEDED ,unavailable", out _));
        Assert.Null(GrpcRetryableCodes.Parse("unavailable,not-found", out var error));
        Assert.Contains("not-found", error, StringComparison.Ordinal);
        Assert.Null(GrpcRetryableCodes.Parse("", out _));
    }

    [Fact]
    public void The_grpc_codes_annotation_compiles_into_every_rules_retry_policy()
    {
        var model = Model(Annotated((GrpcRetryableCodes.CodesAnnotation, "unavailable,resource-exhausted"), (GrpcRetryableCodes.AttemptsAnnotation, "2"), (GrpcRetryableCodes.BackoffAnnotation, "50ms")));
        var retry = model.Policy("echo", 7070).Rules.Single().Retry!;
        Assert.Equal([GrpcStatusCodes.Unavailable, GrpcStatusCodes.ResourceExhausted], retry.GrpcCodes);
        Assert.Equal(2, retry.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(50), retry.Backoff);
        Assert.Empty(retry.Codes);
    }

    [Fact]
    public void No_annotation_means_no_gRPC_retries()
    {
        Assert.Null(Model(Annotated()).Policy("echo", 7070).Rules.Single().Retry);
    }

    [Fact]
    public void An_unknown_grpc_code_is_an_UnsupportedValue()
    {
        var model = Model(Annotated((GrpcRetryableCodes.CodesAnnotation, "ok")));
        var accepted = model.StatusOf("g").Cond("Accepted");
        Assert.Equal(("False", "UnsupportedValue"), (accepted.Status, accepted.Reason));
        Assert.Contains(GrpcRetryableCodes.CodesAnnotation, accepted.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0, 0.999, true)]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.25, 0.2499, true)]
    [InlineData(0.25, 0.25, false)]
    public void MirrorSampler_mirrors_the_share_of_requests(double share, double random, bool mirrored)
    {
        var mirror = new MirrorPolicy { Backend = new BackendPolicy { Namespace = "ns", Name = "m", Port = 80 }, Share = share };
        Assert.Equal(mirrored, MirrorSampler.ShouldMirror(mirror, random));
    }
}
