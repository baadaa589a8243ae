using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.Discovery.V1;

namespace Weft.ControlPlane.Tests.Support;

/// <summary>Streams what the test writes to <see cref="Updates"/> and keeps every report, by how it came.</summary>
internal sealed class CountingDiscovery(bool hasReports) : Discovery.V1.Discovery.DiscoveryBase
{
    /// <summary>Serves <paramref name="server"/> over HTTP/2 cleartext on a loopback port from the OS.</summary>
    public static async Task<WebApplication> StartAsync(CountingDiscovery server)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(server);
        var app = builder.Build();
        app.MapGrpcService<CountingDiscovery>();
        await app.StartAsync();
        return app;
    }

    /// <summary>Sends version <paramref name="version"/> of echo.a:80's policy (<paramref name="policyJson"/>) and waits until <paramref name="client"/> has it.</summary>
    public async Task PushAsync(Weft.Discovery.DiscoveryClient client, ulong version, byte[] policyJson, TimeSpan deadline)
    {
        await Updates.Writer.WriteAsync(new DestinationUpdate { Version = version, Status = DestinationStatus.Found, PolicyJson = Google.Protobuf.ByteString.CopyFrom(policyJson) });
        await Eventually.ValueAsync(() => client.GetAsync("echo.a", 80, CancellationToken.None).AsTask(), e => e?.Version == version, $"version {version} applied", deadline);
    }

    private int _reportsStreams;
    private int _refused;

    /// <summary>Refuse Reports streams (UNAVAILABLE, before the accepted header) while true.</summary>
    public bool Refuse { get; set; }

    public int Refused => Volatile.Read(ref _refused);

    public Channel<DestinationUpdate> Updates { get; } = Channel.CreateUnbounded<DestinationUpdate>();

    public ConcurrentQueue<PolicyReport> OnStream { get; } = new();

    public ConcurrentQueue<PolicyReport> Unary { get; } = new();

    public int ReportsStreams => Volatile.Read(ref _reportsStreams);

    public override async Task WatchDestination(DestinationRequest request, IServerStreamWriter<DestinationUpdate> responseStream, ServerCallContext context)
    {
        await foreach (var update in Updates.Reader.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(update);
        }
    }

    public override Task<ReportReply> Report(PolicyReport request, ServerCallContext context)
    {
        Unary.Enqueue(request);
        return Task.FromResult(new ReportReply { Known = true });
    }

    public override async Task<ReportReply> Reports(IAsyncStreamReader<PolicyReport> requestStream, ServerCallContext context)
    {
        if (!hasReports)
        {
            // What a control plane built before Reports answers (the generated base's UNIMPLEMENTED).
            return await base.Reports(requestStream, context);
        }

        if (Refuse)
        {
            Interlocked.Increment(ref _refused);
            throw new RpcException(new Status(StatusCode.Unavailable, "not now"));
        }

        Interlocked.Increment(ref _reportsStreams);
        await context.WriteResponseHeadersAsync([new Metadata.Entry(Weft.Discovery.Internal.ReportSender.AcceptedHeader, "yes")]);
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            OnStream.Enqueue(requestStream.Current);
        }

        return new ReportReply { Known = true };
    }
}
