using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Weft.ControlPlane.Tests.Support;
using Weft.Discovery;
using Weft.Discovery.V1;
using Weft.Routing;
using Weft.Routing.Policy;

namespace Weft.ControlPlane.Tests;

/// <summary>
/// The sidecar's discovery channel on the wire (issue 18): what the control plane has to read from a sidecar while it
/// pushes updates. Through a relay that parses the HTTP/2 frames the sidecar sends (cleartext h2c to a discovery server
/// of the test's own).
/// </summary>
public sealed class DiscoveryChannelTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Receiving_fifty_updates_of_a_six_KB_policy_the_sidecar_sends_no_WINDOW_UPDATE()
    {
        var server = new CountingDiscovery(hasReports: true);
        await using var app = await CountingDiscovery.StartAsync(server);
        using var relay = new FrameCountingRelay(new Uri(app.Urls.Single()).Port);
        await using var client = new DiscoveryClient(new Uri($"http://127.0.0.1:{relay.Port}"), "a", "a/client-0", NullLogger.Instance);

        var json = PolicyJson.Serialize(Policy());
        Assert.InRange(json.Length, 6 * 1024, 8 * 1024);
        for (ulong v = 1; v <= 50; v++)
        {
            await server.PushAsync(client, v, json, Deadline);
        }

        await Eventually.TrueAsync(() => server.OnStream.Any(r => r.Version == 50), "the last update reported", Deadline);

        // 340 KB received on one stream: with SocketsHttpHandler's default 64 KB window, a WINDOW_UPDATE each 8 KB, one
        // every second update (25).
        Assert.True(relay.Frames(FrameCountingRelay.Headers) > 0, "the relay saw the sidecar's requests");
        Assert.Equal(0, relay.Frames(FrameCountingRelay.WindowUpdate, onStreams: true));
    }

    /// <summary>echo.a:80 with 110 endpoints: about 7 KB of JSON, as a Service of some size is.</summary>
    private static DestinationPolicy Policy() => new()
    {
        ClientNamespace = "a",
        ServiceNamespace = "a",
        ServiceName = "echo",
        Port = 80,
        Protocol = "http",
        View = PolicyView.None,
        DefaultBackend = new BackendPolicy
        {
            Namespace = "a",
            Name = "echo",
            Port = 8080,
            Endpoints = [.. Enumerable.Range(0, 110).Select(i => new EndpointPolicy { Address = $"127.0.{i / 200}.{(i % 200) + 10}", Port = 8080, Pod = $"a/echo-{i:D5}" })],
        },
    };

    /// <summary>A TCP relay to a port on loopback that counts the HTTP/2 frames the client sends, by type.</summary>
    private sealed class FrameCountingRelay : IDisposable
    {
        public const byte Headers = 0x1;
        public const byte WindowUpdate = 0x8;
        private const int PrefaceLength = 24;

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly int _target;
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _gate = new();
        private readonly Dictionary<(byte Type, bool OnStream), int> _frames = [];

        public FrameCountingRelay(int target)
        {
            _target = target;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Frames(byte type, bool onStreams = false)
        {
            lock (_gate)
            {
                return _frames.GetValueOrDefault((type, true)) + (onStreams ? 0 : _frames.GetValueOrDefault((type, false)));
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var server = new TcpClient();
                    await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                    _ = CopyAsync(server.GetStream(), client.GetStream(), count: false);
                    _ = CopyAsync(client.GetStream(), server.GetStream(), count: true);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task CopyAsync(NetworkStream from, NetworkStream to, bool count)
        {
            var buffer = new byte[64 * 1024];
            var parsed = new List<byte>();
            var skip = count ? PrefaceLength : 0;
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    if (count)
                    {
                        parsed.AddRange(buffer.AsSpan(0, read));
                        skip = Count(parsed, skip);
                    }

                    await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Either side closed: the relay of this connection ends.
            }
            finally
            {
                from.Close();
                to.Close();
            }
        }

        // Counts the whole frames at the start of parsed (after the preface) and removes them; returns what of the preface is left to skip.
        private int Count(List<byte> parsed, int skip)
        {
            var offset = Math.Min(skip, parsed.Count);
            skip -= offset;
            var bytes = parsed.ToArray();
            while (skip == 0 && bytes.Length - offset >= 9)
            {
                var length = (bytes[offset] << 16) | (bytes[offset + 1] << 8) | bytes[offset + 2];
                if (bytes.Length - offset < 9 + length)
                {
                    break;
                }

                var type = bytes[offset + 3];
                var stream = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 5)) & 0x7FFFFFFF;
                lock (_gate)
                {
                    _frames[(type, stream != 0)] = _frames.GetValueOrDefault((type, stream != 0)) + 1;
                }

                offset += 9 + length;
            }

            parsed.RemoveRange(0, offset);
            return skip;
        }
    }
}
