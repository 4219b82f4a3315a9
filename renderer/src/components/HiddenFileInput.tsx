import type { RefObject } from 'react';

/** The file chooser behind a button or a menu item: click() the input to ask for one file. */
export function HiddenFileInput({ inputRef, label, accept, onFile }: { inputRef: RefObject<HTMLInputElement | null>; label: string; accept: string; onFile: (file: File) => void }) {
  return (
    <input
      ref={inputRef}
      type="file"
      hidden
      aria-label={label}
      accept={accept}
      onChange={(e) => {
        const file = e.target.files?.[0];
        // Cleared, so choosing the same file again is a change too.
        e.target.value = '';
        if (file) onFile(file);
      }}
    />
  );
}
