using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Toxiproxy;

/// <summary>
/// Linux zero-copy forwarding for a toxic-free stream: socket → pipe → socket with splice(2), so
/// the bytes never enter user space. Readiness comes from .NET's own zero-byte receive, and a
/// destination that is full falls back to an ordinary awaited send of what the pipe holds.
/// Opt-in with TOXIPROXY_SPLICE=1; by default the fast path copies through one user-space buffer.
/// </summary>
internal sealed partial class Splice : IDisposable
{
    private const uint SpliceMove = 1;
    private const uint SpliceNonBlock = 2;
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int ECONNRESET = 104;
    private const int FSetPipeSize = 1031;
    private const int OCloExec = 0x80000;
    private const int PipeSize = 1 << 20;
    private const int WaitPieceSize = 16 * 1024;

    // Opt-in (TOXIPROXY_SPLICE=1). A churn stress test once saw data arrive twice with it on; that
    // was the toxic chain (a cancelled channel write that still delivered, see
    // ToxicStub.PassOnAsync) and is fixed. It stays opt-in because the survival matrix's
    // determinism was measured with the copying path, and a faster proxy shifts the timing of a
    // few cells (server-crash through PgBouncer came out differently once with it on).
    public static readonly bool Enabled =
        OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("TOXIPROXY_SPLICE") == "1";

    private readonly int _pipeRead;
    private readonly int _pipeWrite;

    private Splice(int pipeRead, int pipeWrite)
    {
        _pipeRead = pipeRead;
        _pipeWrite = pipeWrite;
    }

    public static Splice? TryCreate()
    {
        if (!Enabled)
        {
            return null;
        }

        try
        {
            var fds = new int[2];
            if (pipe2(fds, OCloExec) != 0)
            {
                return null;
            }

            // A bigger pipe moves more per system call; failing to grow it only costs speed.
            _ = fcntl(fds[1], FSetPipeSize, PipeSize);
            return new Splice(fds[0], fds[1]);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Moves bytes from <paramref name="source"/> to <paramref name="dest"/> until
    /// <paramref name="stop"/> says so (checked only between whole transfers, so nothing is left
    /// in the pipe) or the source ends. Returns true at end of stream.
    /// </summary>
    public async Task<bool> CopyAsync(Socket source, Socket dest, Func<bool> stop, CancellationToken ct)
    {
        // An empty send and an empty receive make .NET put both sockets in non-blocking mode, as
        // splice needs: on a blocking source it would hold a thread until data came.
        await dest.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
        await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(WaitPieceSize);

        var sourceHandle = source.SafeHandle;
        var destHandle = dest.SafeHandle;
        var sourceAdded = false;
        var destAdded = false;
        try
        {
            // Holding references keeps the descriptor numbers ours until we are done, even if the
            // connection is closed meanwhile (a closed-and-reused number would be a disaster).
            // The connection cancels its token before closing, which gets us out of here.
            sourceHandle.DangerousAddRef(ref sourceAdded);
            destHandle.DangerousAddRef(ref destAdded);
            var sourceFd = (int)sourceHandle.DangerousGetHandle();
            var destFd = (int)destHandle.DangerousGetHandle();
            while (!stop())
            {
                ct.ThrowIfCancellationRequested();
                var moved = Call(() => splice(sourceFd, 0, _pipeWrite, 0, PipeSize, SpliceMove | SpliceNonBlock));
                if (moved == 0)
                {
                    return true;
                }

                if (moved < 0)
                {
                    // Nothing to read: .NET's event loop says when there is (a zero-byte receive).
                    await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
                    continue;
                }

                var pending = moved;
                while (pending > 0)
                {
                    var sent = Call(() => splice(_pipeRead, 0, destFd, 0, (nuint)pending, SpliceMove | SpliceNonBlock));
                    if (sent > 0)
                    {
                        pending -= sent;
                        continue;
                    }

                    // The destination is full. .NET cannot wait for "writable" without sending, so
                    // send a small piece from the pipe the ordinary way (that send waits for
                    // room), then go back to splicing the rest.
                    var got = Call(() => read(_pipeRead, buffer, Math.Min(pending, WaitPieceSize)));
                    if (got <= 0)
                    {
                        throw new IOException("splice pipe ran dry");
                    }

                    var data = buffer.AsMemory(0, (int)got);
                    while (!data.IsEmpty)
                    {
                        data = data[await dest.SendAsync(data, SocketFlags.None, ct).ConfigureAwait(false)..];
                    }

                    pending -= got;
                }
            }

            return false;
        }
        finally
        {
            if (sourceAdded)
            {
                sourceHandle.DangerousRelease();
            }

            if (destAdded)
            {
                destHandle.DangerousRelease();
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs a system call: the result, -1 for "would block"; throws on real errors.</summary>
    private static nint Call(Func<nint> call)
    {
        while (true)
        {
            var result = call();
            if (result >= 0)
            {
                return result;
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case EINTR:
                    continue;
                case EAGAIN:
                    return -1;
                case ECONNRESET:
                    throw new SocketException((int)SocketError.ConnectionReset);
                default:
                    throw new IOException($"splice failed: errno {errno}");
            }
        }
    }

    public void Dispose()
    {
        _ = close(_pipeRead);
        _ = close(_pipeWrite);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint len, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2([Out] int[] fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
