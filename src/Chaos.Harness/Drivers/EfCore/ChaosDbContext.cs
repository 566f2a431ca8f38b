using Microsoft.EntityFrameworkCore;

namespace Chaos.Harness.Drivers.EfCore;

/// <summary>One row of the writes table, as EF Core maps it. The database fills txid and backend on insert and EF reads them back.</summary>
internal sealed class WriteRow
{
    public Guid WriteId { get; set; }
    public int Part { get; set; }
    public int Attempt { get; set; }
    public long Txid { get; set; }
    public int Backend { get; set; }
}

/// <summary>The simulated application's DbContext: the writes table, and the request it is serving (for the interceptors).</summary>
internal sealed class ChaosDbContext(DbContextOptions<ChaosDbContext> options) : DbContext(options)
{
    public DbSet<WriteRow> Writes => Set<WriteRow>();

    /// <summary>The request this context serves now; the interceptors report its progress and reach its hooks.</summary>
    public Workload.Request? Request { get; set; }

    protected override void OnModelCreating(ModelBuilder model)
    {
        var write = model.Entity<WriteRow>();
        write.ToTable("writes");
        // The table has no key (the checker must see a write applied twice); EF needs one to track inserts.
        write.HasKey(w => new { w.WriteId, w.Part, w.Attempt });
        write.Property(w => w.WriteId).HasColumnName("write_id");
        write.Property(w => w.Part).HasColumnName("part");
        write.Property(w => w.Attempt).HasColumnName("attempt");
        write.Property(w => w.Txid).HasColumnName("txid").HasDefaultValueSql("txid_current()").ValueGeneratedOnAdd();
        write.Property(w => w.Backend).HasColumnName("backend").HasDefaultValueSql("pg_backend_pid()").ValueGeneratedOnAdd();
    }
}
