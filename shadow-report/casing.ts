/** casingKey folds a field name to a style-free form: `UserEmail`, `user_email`, `userEmail`, `USER-EMAIL` → `useremail`. */
export function casingKey(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code === 95 /* _ */ || code === 45 /* - */ || code === 32 || code === 46 /* . */) continue;
    out += name[i];
  }
  return out.toLowerCase();
}
