/**
 * grpc-js hands Node the dialled host as the TLS server name even when it is an IP address
 * (the certificate's IP SAN is still checked); Node then warns once per process (DEP0123).
 * A command that dials members by address over TLS calls this once to keep its output clean;
 * every other warning still goes out.
 */
export function quietIpServerNameWarning(): void {
  const emitWarning = process.emitWarning.bind(process) as (...a: unknown[]) => void;
  process.emitWarning = ((...a: unknown[]) => {
    if (a.includes('DEP0123') || (a[1] as { code?: string } | undefined)?.code === 'DEP0123') return;
    emitWarning(...a);
  }) as typeof process.emitWarning;
}
