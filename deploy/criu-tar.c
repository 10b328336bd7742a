/*
 * criu-tar — the `tar` CRIU finds first on its PATH when berth runs it (runtime/criu-env.ts).
 *
 * CRIU keeps the content of every tmpfs of a container as a gzip'd tar, made and unpacked by
 * running `tar --create --gzip ...` / `tar --extract --gzip ...` (criu/filesystems.c). A runc
 * container has five: /dev, /dev/shm, /run and the masked /proc/acpi and /sys/firmware, most
 * of them empty. Each tar runs a shell and gzip as well: ~5.5 ms a dump and ~3.5 ms a restore
 * each here (measured with exec tracepoints in a live move), all inside the move's downtime.
 *
 * Here, for CRIU's two exact command lines only:
 *   - create: when the folder (CRIU's fd 0) holds nothing, the archive is written here: one
 *     GNU tar header for "./" (the folder's mode, numeric owner and mtime, as GNU tar writes
 *     it), the end-of-archive blocks, padded to tar's 10 KiB record, in a gzip stream of one
 *     stored deflate block. Any tar reads it.
 *   - extract: when the archive (CRIU's fd 0, an image file) is exactly such a stream (one
 *     stored block, its CRC-32 and length right, byte for byte the "./" header this tool
 *     writes, nothing else but zeros), the folder gets that mode, owner (unless
 *     --no-same-owner) and mtime, as GNU tar sets them as root.
 * Everything else, and anything unexpected on the way, runs the real GNU tar (/usr/bin/tar or
 * /bin/tar) with the same arguments and the untouched input (read with pread only).
 *
 * Built static by deploy/setup-host into /usr/local/lib/berth/lib/criu-bin/tar.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RECORD 10240 /* GNU tar's default blocking factor, 20 x 512 */
#define MAX_ARCHIVE 65536

static const char *const CREATE[] = { "tar", "--create", "--gzip", "--no-unquote", "--no-wildcards",
	"--one-file-system", "--check-links", "--preserve-permissions", "--sparse", "--numeric-owner",
	"--directory", "/proc/self/fd/0", ".", NULL };

/* argv[1...] is `want` (argv[0], however the tool was named, is not compared). */
static int same_args(char **argv, const char *const *want)
{
	int i;

	for (i = 1; want[i] != NULL; i++)
		if (argv[i] == NULL || strcmp(argv[i], want[i]) != 0)
			return 0;
	return argv[i] == NULL;
}

/* CRIU's extract: "tar --extract --gzip --no-unquote --no-wildcards [--no-same-owner] --directory DIR". */
static const char *extract_dir(char **argv, int *same_owner)
{
	int i = 5;

	if (argv[1] == NULL || strcmp(argv[1], "--extract") != 0 || argv[2] == NULL || strcmp(argv[2], "--gzip") != 0 ||
	    argv[3] == NULL || strcmp(argv[3], "--no-unquote") != 0 || argv[4] == NULL || strcmp(argv[4], "--no-wildcards") != 0)
		return NULL;
	*same_owner = 1;
	if (argv[i] != NULL && strcmp(argv[i], "--no-same-owner") == 0) {
		*same_owner = 0;
		i++;
	}
	if (argv[i] == NULL || strcmp(argv[i], "--directory") != 0 || argv[i + 1] == NULL || argv[i + 2] != NULL)
		return NULL;
	return argv[i + 1];
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le(const unsigned char *p, int bytes)
{
	uint32_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static unsigned header_sum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

/* An octal field of a tar header (NUL or space terminated); -1 when it is not one. */
static long long octal(const unsigned char *f, int n)
{
	long long v = 0;
	int i = 0, digits = 0;

	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		v = v * 8 + (f[i] - '0');
	if (digits == 0 || (i < n && f[i] != 0 && f[i] != ' '))
		return -1;
	return v;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* `v` as width-1 octal digits (zero-padded) and a NUL, as GNU tar fills a numeric field. */
static void put_octal(unsigned char *f, int width, unsigned long long v)
{
	f[width - 1] = 0;
	for (int i = width - 2; i >= 0; i--, v >>= 3)
		f[i] = (unsigned char)('0' + (v & 7));
}

/*
 * The one header this tool writes: "./", a folder, with these attributes, in GNU format
 * ("ustar  \0"), numeric owner, no names; -1 when one does not fit its octal field (GNU tar
 * would write base-256 there: left to GNU tar).
 */
static int folder_header(unsigned char *h, unsigned long long mode, unsigned long long uid, unsigned long long gid, long long mtime)
{
	if (mode > 07777 || uid > 07777777 || gid > 07777777 || mtime < 0 || mtime > 077777777777LL)
		return -1;
	memset(h, 0, 512);
	memcpy(h, "./", 2);
	put_octal(h + 100, 8, mode);
	put_octal(h + 108, 8, uid);
	put_octal(h + 116, 8, gid);
	put_octal(h + 124, 12, 0);
	put_octal(h + 136, 12, (unsigned long long)mtime);
	h[156] = '5';
	memcpy(h + 257, "ustar  ", 8); /* GNU format: "ustar  \0" */
	put_octal(h + 148, 7, header_sum(h)); /* six digits, NUL, then a space: as GNU tar */
	h[155] = ' ';
	return 0;
}

/* 0: an empty folder's archive written; -1: not handled here (nothing written). */
static int create_empty(void)
{
	static unsigned char tar[RECORD], gz[10 + 5 + RECORD + 8];
	unsigned char *h = tar;
	char dents[4096];
	struct stat st;
	long n;
	int dir;

	if (fstat(0, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	dir = open("/proc/self/fd/0", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, dir, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);

			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
				close(dir);
				return -1;
			}
			off += d->d_reclen;
		}
	}
	close(dir);
	if (n < 0)
		return -1;

	memset(tar, 0, sizeof(tar));
	if (folder_header(h, st.st_mode & 07777, st.st_uid, st.st_gid, (long long)st.st_mtime) != 0)
		return -1;

	/* gzip (RFC 1952): no name, no time; one final stored deflate block (RFC 1951). */
	memset(gz, 0, 10);
	gz[0] = 0x1f;
	gz[1] = 0x8b;
	gz[2] = 8;
	gz[9] = 3;
	gz[10] = 1;
	put_le(gz + 11, RECORD, 2);
	put_le(gz + 13, (uint16_t)~RECORD, 2);
	memcpy(gz + 15, tar, RECORD);
	put_le(gz + 15 + RECORD, crc32_of(tar, RECORD), 4);
	put_le(gz + 19 + RECORD, RECORD, 4);
	if (write_all(1, gz, sizeof(gz)) != 0) {
		perror("criu-tar: write");
		_exit(2);
	}
	return 0;
}

/* 0: applied; -1: not such an archive (nothing changed). */
static int extract_empty(const char *dir, int same_owner)
{
	static unsigned char gz[MAX_ARCHIVE], tar[MAX_ARCHIVE], mine[512];
	struct stat st;
	struct timespec times[2];
	size_t at = 10, len = 0;
	ssize_t n;
	int last = 0, fd, rc;
	long long mode, uid, gid, mtime;

	if (fstat(0, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 18 || st.st_size > MAX_ARCHIVE)
		return -1;
	n = pread(0, gz, (size_t)st.st_size, 0);
	if (n != st.st_size || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8 || gz[3] != 0)
		return -1;
	while (!last) {
		size_t k;

		if (at + 5 > (size_t)n || (gz[at] & ~1u) != 0)
			return -1; /* only stored blocks, byte-aligned as this tool writes them */
		last = gz[at] & 1;
		k = get_le(gz + at + 1, 2);
		if ((uint16_t)~k != get_le(gz + at + 3, 2) || at + 5 + k > (size_t)n || len + k > sizeof(tar))
			return -1;
		memcpy(tar + len, gz + at + 5, k);
		len += k;
		at += 5 + k;
	}
	if (at + 8 != (size_t)n || get_le(gz + at, 4) != crc32_of(tar, len) || get_le(gz + at + 4, 4) != len)
		return -1;
	if (len < 1536 || len % 512 != 0)
		return -1;
	for (size_t i = 512; i < len; i++)
		if (tar[i] != 0)
			return -1;
	mode = octal(tar + 100, 8);
	uid = octal(tar + 108, 8);
	gid = octal(tar + 116, 8);
	mtime = octal(tar + 136, 12);
	/* Exactly the header folder_header writes for these attributes, byte for byte: nothing
	 * else (a prefix, owner names, another type or format) is taken here. */
	if (mode < 0 || uid < 0 || gid < 0 || mtime < 0 || folder_header(mine, (unsigned long long)mode, (unsigned long long)uid, (unsigned long long)gid, mtime) != 0 ||
	    memcmp(mine, tar, 512) != 0)
		return -1;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1; /* (GNU tar says why) */
	rc = 0;
	if (geteuid() == 0) {
		if (same_owner && fchown(fd, (uid_t)uid, (gid_t)gid) != 0)
			rc = -1;
		if (rc == 0 && fchmod(fd, (mode_t)(mode & 07777)) != 0)
			rc = -1;
	} else {
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(fd, (mode_t)(mode & 0777 & ~mask)) != 0)
			rc = -1;
	}
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_NOW;
	times[1].tv_sec = (time_t)mtime;
	times[1].tv_nsec = 0;
	if (rc == 0 && futimens(fd, times) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "criu-tar: ./: %s\n", strerror(errno));
		_exit(2);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const real[] = { "/usr/bin/tar", "/bin/tar" };
	const char *dir;
	int same_owner;

	(void)argc;
	if (same_args(argv, CREATE) && create_empty() == 0)
		return 0;
	dir = extract_dir(argv, &same_owner);
	if (dir != NULL && extract_empty(dir, same_owner) == 0)
		return 0;
	for (unsigned i = 0; i < sizeof(real) / sizeof(real[0]); i++)
		execv(real[i], argv);
	fprintf(stderr, "criu-tar: no GNU tar to run (/usr/bin/tar, /bin/tar): %s\n", strerror(errno));
	return 2;
}
