// Decodes the header and claims of a JWT (no signature check) for display in the explorer.

function b64url(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export interface DecodedJwt {
  header: unknown;
  claims: unknown;
}

/** The token of an `Authorization: Bearer <jwt>` value, or null. */
export function bearerToken(value: string): string | null {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : null;
}

/** Decodes a JWT; throws with a readable message when it is not one. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a JWT has three dot-separated parts');
  try {
    return { header: JSON.parse(b64url(parts[0])), claims: JSON.parse(b64url(parts[1])) };
  } catch {
    throw new Error('the header or the claims are not base64url-encoded JSON');
  }
}
