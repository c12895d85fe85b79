using System.Net;
using System.Net.Sockets;

namespace MoeScratch.Docs.Tests.Site;

/// <summary>
/// Serves a folder over HTTP on 127.0.0.1 (a free port) for the length of the tests: the DocFX template loads its
/// scripts as ES modules, which Chromium refuses over file:// URLs, so the navigation and code highlighting only
/// render when the site is served.
/// </summary>
internal sealed class StaticSite : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly Task _loop;

    public StaticSite(string root)
    {
        _root = Path.GetFullPath(root);
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    /// <summary>"http://127.0.0.1:port/".</summary>
    public string BaseUrl { get; }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException
                                           or InvalidOperationException)
            {
                return; // stopped
            }
            using var response = context.Response;
            string relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            string path = Path.GetFullPath(Path.Combine(_root, relative.Length == 0 ? "index.html" : relative));
            if (!path.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(path))
            {
                response.StatusCode = 404;
                continue;
            }
            response.ContentType = Path.GetExtension(path) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" or ".mjs" => "text/javascript",
                ".css" => "text/css",
                ".json" => "application/json",
                ".svg" => "image/svg+xml",
                ".png" => "image/png",
                ".woff2" => "font/woff2",
                ".woff" => "font/woff",
                _ => "application/octet-stream",
            };
            byte[] body = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
