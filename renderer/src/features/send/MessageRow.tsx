import { MESSAGE_INPUT_ID, messageRows } from '../../state/views';

/**
 * The Message box and its button: Enter sends (Shift+Enter adds a newline), the button sends,
 * and neither does anything while sending is not possible.
 */
export function MessageRow({
  text,
  onText,
  onSubmit,
  enabled,
  action,
}: {
  text: string;
  onText: (text: string) => void;
  onSubmit: () => void;
  enabled: boolean;
  /** The button's label, such as "Send datagram" or "Inject". */
  action: string;
}) {
  return (
    <div className="send-row">
      <label className="field grow">
        <span>Message</span>
        <textarea
          id={MESSAGE_INPUT_ID}
          value={text}
          rows={messageRows(text)}
          spellCheck={false}
          onChange={(e) => onText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              if (enabled) onSubmit();
            }
          }}
        />
      </label>
      <button type="button" className="primary" disabled={!enabled} onClick={onSubmit}>
        {action}
      </button>
    </div>
  );
}
