using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DeepSim.Tests.Archive;

/// <summary>
/// A tiny in-process HTTP server (HttpListener on a free loopback port) whose answers a test scripts, for the failures a
/// real archive will not produce on demand: a 500 before a 200, a non-DICOM body, a short series, a slow answer.
/// </summary>
internal sealed class FakeDicomWebServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, int, Answer> _answer;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public FakeDicomWebServer(Func<HttpListenerRequest, int, Answer> answer)
    {
        _answer = answer;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri Root => new($"http://127.0.0.1:{Port}/dicom-web");

    /// <summary>Each request's path and query and its Authorization header.</summary>
    public ConcurrentQueue<(string PathAndQuery, string? Authorization, string? Accept)> Requests { get; } = new();

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(5000);
        }
        catch (AggregateException)
        {
            // the listener was closed under the loop
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var n = Interlocked.Increment(ref _requests);
            Requests.Enqueue((context.Request.Url!.PathAndQuery, context.Request.Headers["Authorization"], context.Request.Headers["Accept"]));
            _ = Task.Run(async () =>
            {
                try
                {
                    var a = _answer(context.Request, n);
                    if (a.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(a.Delay, _stop.Token).ConfigureAwait(false);
                    }

                    context.Response.StatusCode = a.Status;
                    if (a.ContentType is not null)
                    {
                        context.Response.ContentType = a.ContentType;
                    }

                    foreach (var (k, v) in a.Headers ?? [])
                    {
                        context.Response.Headers[k] = v;
                    }

                    context.Response.ContentLength64 = a.Body.Length;
                    await context.Response.OutputStream.WriteAsync(a.Body).ConfigureAwait(false);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
                {
                    // the client went away or the server is stopping
                }
            });
        }
    }

    /// <summary>One scripted answer.</summary>
    internal sealed record Answer(int Status, string? ContentType, byte[] Body, TimeSpan Delay = default, Dictionary<string, string>? Headers = null)
    {
        public static Answer Json(string json) => new(200, "application/dicom+json", System.Text.Encoding.UTF8.GetBytes(json));

        public static Answer Text(int status, string text, string contentType = "text/plain") => new(status, contentType, System.Text.Encoding.UTF8.GetBytes(text));

        /// <summary>A multipart/related body of application/dicom parts.</summary>
        public static Answer Multipart(params byte[][] parts)
        {
            const string boundary = "DeepSimTestBoundary-3f1c";
            using var ms = new MemoryStream();
            foreach (var p in parts)
            {
                ms.Write(System.Text.Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: application/dicom\r\nContent-Length: {p.Length}\r\n\r\n"));
                ms.Write(p);
                ms.Write("\r\n"u8);
            }

            ms.Write(System.Text.Encoding.ASCII.GetBytes($"--{boundary}--\r\n"));
            return new Answer(200, $"multipart/related; type=\"application/dicom\"; boundary={boundary}", ms.ToArray());
        }
    }
}
