// Credentials for a Kafka Connect REST API (BasicAuthSecurityRestExtension), carried as a URL's
// user info so one secret string holds where and how to reach it.

/** `http://host:port` → `http://user:password@host:port`, both percent-encoded (the connector provider decodes them). */
export function restUrlWithUserInfo(url: string, user: string, password: string): string {
  const m = /^(https?:\/\/)([^@/]*@)?(.*)$/.exec(url);
  if (!m) throw new Error("a Connect REST URL must start with http:// or https://");
  return `${m[1]}${encodeURIComponent(user)}:${encodeURIComponent(password)}@${m[3]}`;
}

