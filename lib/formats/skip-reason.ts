// Why a file was skipped: one vocabulary for the header probes, the scan and the stream.
/** Skip reasons counted by scans (SimpleTuner's names plus tunefeed's finer ones). */
export type SkipReason =
  | 'already_exists'
  | 'metadata_missing'
  | 'not_found'
  | 'too_small'
  | 'too_long'
  | 'corrupt'
  | 'unsupported'
  | 'pixel_limit'
  | 'read_error'
  | 'other'
  /** Added by the metadata scan: the file ends before its data does. */
  | 'truncated'
  /** Added by the metadata scan: video frame count outside min_frames/max_frames. */
  | 'frames_out_of_range';
